# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test doubles for the wait: object builders, a fake API server with watch
history and fault injection, a fake monotonic clock and a deterministic inbox."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import queue
import threading
import time
from datetime import datetime, timedelta, timezone

from ansible_collections.stateful.nfs_redis.plugins.module_utils.kube import (
    Gone,
    WatchDropped,
)

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def ts(seconds):
    """RFC 3339 time of T0 + seconds (None stays None)."""
    if seconds is None:
        return None
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------
# object builders
# ---------------------------------------------------------------------------


def make_sts(name="redis", namespace="default", replicas=3, generation=1, observed=1,
             policy=None, strategy=None, partition=None, min_ready=None, update_revision="redis-v1",
             current_revision=None, ready=0, available=None, updated=None, status_replicas=None,
             templates=("data",), start=None, uid="sts-uid", selector=None):
    spec = {
        "replicas": replicas,
        "selector": selector or {"matchLabels": {"app": name}},
        "serviceName": name,
        "template": {"metadata": {"labels": {"app": name}}},
        "volumeClaimTemplates": [{"metadata": {"name": t}} for t in templates],
    }
    if policy:
        spec["podManagementPolicy"] = policy
    if strategy or partition is not None:
        spec["updateStrategy"] = {"type": strategy or "RollingUpdate"}
        if partition is not None:
            spec["updateStrategy"]["rollingUpdate"] = {"partition": partition}
    if min_ready is not None:
        spec["minReadySeconds"] = min_ready
    if start is not None:
        spec["ordinals"] = {"start": start}
    status = {
        "replicas": ready if status_replicas is None else status_replicas,
        "readyReplicas": ready,
        "currentReplicas": ready,
        "updatedReplicas": ready if updated is None else updated,
        "updateRevision": update_revision,
        "currentRevision": current_revision or update_revision,
    }
    if observed is not None:
        status["observedGeneration"] = observed
    if available is not None:
        status["availableReplicas"] = available
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": namespace, "uid": uid, "generation": generation},
        "spec": spec,
        "status": status,
    }


def set_status(sts, **fields):
    """Copy of sts with status fields replaced (readyReplicas=..., etc.)."""
    result = copy.deepcopy(sts)
    result["status"].update(fields)
    return result


def make_pod(ordinal, sts="redis", namespace="default", ready=False, phase=None, revision="redis-v1",
             created=0, ready_time=None, uid=None, node="node-1", claims=("data",),
             containers=None, init_containers=None, scheduled=True, deleting=None,
             owner_uid="sts-uid", not_ready_since=None, unschedulable=None, finalizers=None,
             status_reason=None):
    name = "%s-%d" % (sts, ordinal)
    if phase is None:
        phase = "Running" if ready else ("Running" if node and containers is None else "Pending")
    conditions = []
    if scheduled is True:
        conditions.append({"type": "PodScheduled", "status": "True"})
    elif unschedulable:
        conditions.append({"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                           "message": unschedulable})
    if ready:
        conditions.append({"type": "Ready", "status": "True",
                           "lastTransitionTime": ts(created + 1 if ready_time is None else ready_time)})
    elif scheduled:
        conditions.append({"type": "Ready", "status": "False",
                           "lastTransitionTime": ts(created if not_ready_since is None else not_ready_since)})
    if containers is None:
        containers = [{"name": "redis", "image": "redis:7", "ready": bool(ready), "restartCount": 0,
                       "state": {"running": {"startedAt": ts(created)}} if phase == "Running"
                       else {"waiting": {"reason": "ContainerCreating"}}}]
    metadata = {
        "name": name,
        "namespace": namespace,
        "uid": uid or "%s-uid-%s" % (name, created),
        "creationTimestamp": ts(created),
        "labels": {"app": sts, "controller-revision-hash": revision},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": sts,
                             "uid": owner_uid, "controller": True}],
    }
    if deleting is not None:
        metadata["deletionTimestamp"] = ts(deleting)
    if finalizers:
        metadata["finalizers"] = list(finalizers)
    status = {"phase": phase, "conditions": conditions, "containerStatuses": containers}
    if init_containers is not None:
        status["initContainerStatuses"] = init_containers
    if status_reason:
        status["reason"], status["message"] = status_reason
    spec = {"volumes": [{"name": c, "persistentVolumeClaim": {"claimName": "%s-%s" % (c, name)}}
                        for c in claims]}
    if node and scheduled:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def ready_pods(n, **kwargs):
    """Pods 0..n-1, created 10 s apart and Ready 5 s after their creation."""
    return [make_pod(i, ready=True, created=i * 10, ready_time=i * 10 + 5, **kwargs) for i in range(n)]


def make_pvc(name, phase="Bound", namespace="default", uid=None, storage_class="nfs-client",
             labels=None):
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace, "uid": uid or name + "-uid",
                     "labels": {"app": "redis"} if labels is None else labels},
        "spec": {"storageClassName": storage_class},
        "status": {"phase": phase},
    }


def make_event(kind, name, reason, message, etype="Warning", uid=None, at=0, count=1,
               namespace="default", seq=None):
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "%s.%s.%s" % (name, reason, seq or at), "namespace": namespace},
        "involvedObject": {"kind": kind, "name": name, "namespace": namespace, "uid": uid},
        "reason": reason,
        "message": message,
        "type": etype,
        "count": count,
        "lastTimestamp": ts(at),
    }


def container(name="redis", waiting=None, message=None, running=False, ready=False, restarts=0,
              last_exit=None, image="redis:7", terminated=None):
    state = {}
    if waiting:
        state["waiting"] = {"reason": waiting}
        if message:
            state["waiting"]["message"] = message
    elif running:
        state["running"] = {"startedAt": ts(0)}
    elif terminated:
        state["terminated"] = terminated
    result = {"name": name, "image": image, "ready": ready, "restartCount": restarts, "state": state}
    if last_exit:
        result["lastState"] = {"terminated": last_exit}
    return result


# ---------------------------------------------------------------------------
# clock
# ---------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock that only moves when told to (sleep or set)."""

    def __init__(self, now=1000.0):
        self.start = now
        self.now = now
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        return False

    def set(self, value):
        self.now = max(self.now, value)

    @property
    def elapsed(self):
        return self.now - self.start


# ---------------------------------------------------------------------------
# fake API server
# ---------------------------------------------------------------------------


def _match_labels(obj, selector):
    if not selector:
        return True
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for part in selector.split(","):
        key, _sep, value = part.partition("=")
        if labels.get(key) != value:
            return False
    return True


def _match_fields(obj, selector):
    if not selector:
        return True
    for part in selector.split(","):
        key, _sep, value = part.partition("=")
        if key == "metadata.name":
            if obj["metadata"]["name"] != value:
                return False
        elif key.startswith("involvedObject."):
            if (obj.get("involvedObject") or {}).get(key.split(".", 1)[1]) != value:
                return False
        else:
            raise AssertionError("unsupported field selector " + selector)
    return True


class FakeCluster:
    """Objects, a watch history per kind, and a timeline of scheduled changes."""

    def __init__(self, clock=None):
        self.clock = clock or FakeClock()
        self.rv = 100
        self.objects = {"statefulsets": {}, "pods": {}, "persistentvolumeclaims": {}, "events": {}}
        self.history = dict((kind, []) for kind in self.objects)
        self.compacted = dict((kind, 0) for kind in self.objects)
        self.disruptions = dict((kind, []) for kind in self.objects)
        self.steps = []
        self.lock = threading.RLock()
        self.applied = 0
        self.applied_at = []
        # Called by a watch stream with nothing to send: the SteppingInbox's hand-over.
        self.on_idle = None

    # -- mutations -----------------------------------------------------------
    def put(self, kind, obj):
        with self.lock:
            self.rv += 1
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self.rv)
            name = obj["metadata"]["name"]
            etype = "MODIFIED" if name in self.objects[kind] else "ADDED"
            self.objects[kind][name] = obj
            self.history[kind].append((self.rv, etype, copy.deepcopy(obj)))
            return obj

    def delete(self, kind, name):
        with self.lock:
            obj = self.objects[kind].pop(name)
            self.rv += 1
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self.rv)
            self.history[kind].append((self.rv, "DELETED", obj))

    def compact(self, kind):
        """Forget the history so far: watches from older versions get 410."""
        with self.lock:
            self.compacted[kind] = self.rv
            self.history[kind] = []

    def disrupt(self, kind, how):
        """Break every open watch of kind once: 'drop', 'expire', 'end', 'bookmark', 'forbid', 'error'."""
        with self.lock:
            self.disruptions[kind].append(how)

    # -- timeline ------------------------------------------------------------
    def at(self, when, *actions):
        """At clock.start + when, run actions: callables, or (kind, obj) to put."""
        self.steps.append((when, actions))
        self.steps.sort(key=lambda step: step[0])

    def _run(self, actions):
        for action in actions:
            if callable(action):
                action()
            else:
                self.put(*action)
        self.applied += 1
        self.applied_at.append(time.monotonic())

    def advance(self, until):
        """Apply the next step if it is due by ``until`` (an absolute clock time)."""
        if not self.steps:
            return False
        when, actions = self.steps[0]
        absolute = self.clock.start + when
        if absolute > until:
            return False
        self.steps.pop(0)
        self.clock.set(absolute)
        self._run(actions)
        return True

    def play_in_real_time(self, scale=0.001):
        """Apply the steps from a thread with real sleeps (when * scale seconds)."""
        def play():
            began = time.monotonic()
            while self.steps:
                when, actions = self.steps.pop(0)
                delay = began + when * scale - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                self._run(actions)
        thread = threading.Thread(target=play)
        thread.daemon = True
        thread.start()
        return thread


class FakeStream:
    def __init__(self, cluster, kind, start, field_selector, label_selector, idle_sleep):
        self.cluster = cluster
        self.kind = kind
        self.position = start
        self.field_selector = field_selector
        self.label_selector = label_selector
        self.idle_sleep = idle_sleep
        self.seen_disruptions = len(cluster.disruptions[kind])
        self.closed = False

    def __iter__(self):
        while not self.closed:
            with self.cluster.lock:
                pending = [entry for entry in self.cluster.history[self.kind] if entry[0] > self.position]
                disruptions = self.cluster.disruptions[self.kind][self.seen_disruptions:]
            if pending:
                rv, etype, obj = pending[0]
                self.position = rv
                if _match_fields(obj, self.field_selector) and _match_labels(obj, self.label_selector):
                    yield {"type": etype, "object": copy.deepcopy(obj)}
                continue
            if disruptions:
                self.seen_disruptions += 1
                how = disruptions[0]
                if how == "drop":
                    raise WatchDropped("watch %s: connection reset by peer" % self.kind)
                if how == "expire":
                    yield {"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired",
                                                       "message": "too old resource version"}}
                    continue
                if how == "forbid":
                    yield {"type": "ERROR", "object": {"kind": "Status", "code": 403,
                                                       "message": "pods is forbidden"}}
                    continue
                if how == "error":
                    yield {"type": "ERROR", "object": {"kind": "Status", "code": 500,
                                                       "message": "internal error"}}
                    continue
                if how == "bookmark":
                    yield {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": str(self.cluster.rv)}}}
                    continue
                return  # "end": the server's timeoutSeconds elapsed
            # Nothing to send: a real stream blocks in a read until an event comes or
            # close() is called from another thread.
            if self.cluster.on_idle is not None:
                self.cluster.on_idle()
            elif self.idle_sleep:
                time.sleep(self.idle_sleep)
            else:
                raise AssertionError("watch %s is idle and nothing can change the cluster" % self.kind)

    def close(self):
        self.closed = True


class FakeApi:
    """The KubeApi interface over a FakeCluster, with scripted request failures.

    ``fail(verb, kind, exc, times=1)`` makes the next matching requests raise exc.
    """

    def __init__(self, cluster, idle_sleep=0.0):
        self.cluster = cluster
        self.requests = {"list": 0, "watch": 0, "get": 0}
        self.failures = []
        self.calls = []
        self.idle_sleep = idle_sleep
        self.streams = []
        self.page_size = None  # emulate pagination of list_pages: more than this is truncated

    @property
    def total_requests(self):
        return sum(self.requests.values())

    def fail(self, verb, kind, exc, times=1):
        self.failures.extend([(verb, kind, exc)] * times)

    def _maybe_fail(self, verb, kind):
        for index, (fverb, fkind, exc) in enumerate(self.failures):
            if fverb == verb and fkind in (kind, None):
                del self.failures[index]
                raise exc

    def list(self, kind, namespace, field_selector=None, label_selector=None):
        self.requests["list"] += 1
        self.calls.append(("list", kind, field_selector, label_selector))
        self._maybe_fail("list", kind)
        with self.cluster.lock:
            items = [copy.deepcopy(obj) for obj in self.cluster.objects[kind].values()
                     if _match_fields(obj, field_selector) and _match_labels(obj, label_selector)]
            return items, str(self.cluster.rv)

    def list_pages(self, kind, namespace, max_pages):
        items, _version = self.list(kind, namespace)
        if self.page_size and len(items) > max_pages * self.page_size:
            return items[:max_pages * self.page_size], True
        return items, False

    def get(self, kind, namespace, name):
        self.requests["get"] += 1
        self.calls.append(("get", kind, name))
        self._maybe_fail("get", kind)
        obj = self.cluster.objects[kind].get(name)
        return copy.deepcopy(obj) if obj is not None else None

    def watch(self, kind, namespace, resource_version, timeout_seconds, field_selector=None,
              label_selector=None):
        self.requests["watch"] += 1
        self.calls.append(("watch", kind, resource_version))
        self._maybe_fail("watch", kind)
        start = int(resource_version)
        if start < self.cluster.compacted[kind]:
            raise Gone("watch %s: too old resource version: %s" % (kind, start))
        stream = FakeStream(self.cluster, kind, start, field_selector, label_selector, self.idle_sleep)
        self.streams.append(stream)
        return stream


class _Closed(BaseException):
    """Raised where a Worker waits, to end it (what GeneratorExit is to a generator)."""


class Worker:
    """Run ``target`` in a thread one step at a time, like a coroutine.

    :meth:`step` lets it run until it calls :meth:`Worker.pause` (or ends) and
    returns ``("pause", report)``, ``("end", None)`` or ``("error", exc)``. The
    caller and the worker never run at the same time, so a run is as
    deterministic as a single thread, while the code under test keeps the
    blocking reads a real watch stream has.
    """

    _current = threading.local()

    def __init__(self, target, name):
        self._target = target
        self._resume = queue.Queue()
        self._reports = queue.Queue()
        self._thread = threading.Thread(target=self._main, name=name)
        self._thread.daemon = True
        self.started = False
        self.done = False

    def _main(self):
        Worker._current.worker = self
        try:
            if self._resume.get() == "close":
                raise _Closed()
            self._target()
        except _Closed:
            self._reports.put(("end", None))
        except Exception as exc:  # pylint: disable=broad-except
            self._reports.put(("error", exc))
        else:
            self._reports.put(("end", None))

    @classmethod
    def pause(cls, report):
        """From inside a worker: hand control back with ``report``; returns on the next step."""
        worker = cls._current.worker
        worker._reports.put(("pause", report))
        if worker._resume.get() == "close":
            raise _Closed()

    def step(self, command="go"):
        if not self.started:
            self.started = True
            self._thread.start()
        self._resume.put(command)
        try:
            what, value = self._reports.get(timeout=10)
        except queue.Empty:
            raise AssertionError("worker %s neither paused nor ended in 10 s" % self._thread.name)
        if what != "pause":
            self.done = True
            self._thread.join(10)
        return what, value

    def close(self):
        """End the worker where it waits, running its finally blocks (like generator.close())."""
        if self.started and not self.done:
            self.step("close")


class SteppingInbox:
    """Deterministic inbox: runs each reflector in a Worker, one step at a time, in
    turn, and, when they are all idle, applies the cluster's next scheduled change."""

    def __init__(self, reflectors, cluster, clock):
        self.cluster = cluster
        self.clock = clock
        self.closed = False
        self.reflectors = list(reflectors)
        self.deadline = None
        cluster.on_idle = lambda: Worker.pause("idle")
        self.workers = [(r.kind, Worker(self._pump(r), "watch-%s" % r.kind)) for r in self.reflectors]

    def _pump(self, reflector):
        def pump():
            messages = reflector.run(lambda: self.closed, self.sleep)
            try:
                for message in messages:
                    Worker.pause(message)
            finally:
                messages.close()
        return pump

    def sleep(self, seconds):
        """Back-off sleeps advance the fake clock, but not past the caller's deadline
        (in production they run in another thread while the caller's get() times out)."""
        if self.deadline is not None:
            seconds = max(0.0, min(seconds, self.deadline - self.clock()))
        self.clock.sleeps.append(seconds)
        self.clock.now += seconds
        Worker.pause("slept")

    def get(self, timeout):
        deadline = self.deadline = self.clock() + timeout
        while True:
            busy = False
            for entry in list(self.workers):
                kind, worker = entry
                what, report = worker.step()
                if what == "end":
                    self.workers.remove(entry)
                    continue
                if what == "error":
                    self.workers.remove(entry)
                    return ("error", kind, report)
                if report not in ("idle", "slept"):
                    return report
                if self.clock() >= deadline:
                    return None
                if report == "slept":
                    busy = True
            if busy:
                continue
            if self.cluster.advance(deadline):
                continue
            self.clock.set(deadline)
            return None

    def close(self):
        self.closed = True
        for reflector in self.reflectors:
            reflector.close()
        for _kind, worker in self.workers:
            worker.close()
        self.cluster.on_idle = None


def stepping(cluster):
    """An inbox_factory for RolloutWaiter."""
    return lambda reflectors: SteppingInbox(reflectors, cluster, cluster.clock)
