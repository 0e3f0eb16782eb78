# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watch loop: list, then watch the StatefulSet and its pods; feed rollout.py.

Pieces, each replaceable in tests:

* :class:`Reflector` lists and watches one collection and yields messages
  (``('sync', kind, items)``, ``('event', kind, type, object)``). It resumes a
  broken watch from the last resourceVersion, relists after 410 Gone, and backs
  off while the API server does not answer. It is a generator so that tests
  can step it without threads.
* :class:`ThreadedInbox` runs one reflector per thread and queues their
  messages; :meth:`get` waits for the next one.
* :class:`RolloutWaiter` owns the caches and the decision: it applies messages,
  asks :func:`rollout.evaluate` after each change and returns as soon as the
  rollout is complete, or fails with :func:`rollout.explain`'s diagnostics.

The API object is a :class:`kube.KubeApi` (or a fake with the same ``list``,
``watch``, ``get``, ``requests`` and ``total_requests``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import queue

from ansible_collections.stateful.nfs_redis.plugins.module_utils import rollout
from ansible_collections.stateful.nfs_redis.plugins.module_utils.kube import (
    Forbidden,
    Gone,
    KubeError,
    Transient,
    Unreachable,
    WatchDropped,
)

WATCH_TIMEOUT_SECONDS = 90
BACKOFF_START = 0.2
BACKOFF_MAX = 5.0
HEALTHY_STREAM_SECONDS = 1.0
MAX_CLAIM_GETS = 10
EVENT_PAGES = 2
JOIN_SECONDS = 0.2

RBAC_NEEDS = (
    "the wait needs get, list and watch on statefulsets.apps and pods, and list on "
    "persistentvolumeclaims and events"
)


def backoff(failures):
    """Seconds to sleep before attempt number ``failures`` + 1 (first retry is immediate)."""
    if failures <= 1:
        return 0.0
    return min(BACKOFF_MAX, BACKOFF_START * (2 ** (failures - 2)))


class Reflector:
    """List and watch one collection, as a generator of messages."""

    def __init__(self, api, kind, namespace, field_selector=None, label_selector=None,
                 resource_version=None, watch_timeout=WATCH_TIMEOUT_SECONDS, clock=time.monotonic):
        self.api = api
        self.kind = kind
        self.namespace = namespace
        self.field_selector = field_selector
        self.label_selector = label_selector
        self.resource_version = resource_version
        self.watch_timeout = watch_timeout
        self.clock = clock
        self.stats = {"watches": 0, "relists": 0, "expired": 0, "reconnects": 0, "events": 0}
        self.failures = 0
        self.last_error = None
        self.connected = True
        self._stream = None
        self._lock = threading.Lock()

    def close(self):
        """Close the open watch (from any thread) so that a blocked read returns."""
        with self._lock:
            stream = self._stream
            self._stream = None
        if stream is not None:
            stream.close()

    def _selectors(self):
        return {"field_selector": self.field_selector, "label_selector": self.label_selector}

    def run(self, should_stop, sleep):
        """Yield messages until should_stop() is true. ``sleep(seconds)`` backs off.

        Yields None when the underlying stream reports "nothing yet" (fakes
        only); raises KubeError subclasses that retrying cannot fix.
        """
        while not should_stop():
            try:
                if self.resource_version is None:
                    items, self.resource_version = self.api.list(
                        self.kind, self.namespace, **self._selectors()
                    )
                    self.connected = True
                    self.stats["relists"] += 1
                    yield ("sync", self.kind, items)
                yield from self._watch_once(should_stop)
            except Gone as exc:
                self.resource_version = None
                self.stats["expired"] += 1
                self.failures += 1
                self.last_error = exc
            except (WatchDropped, Transient, Unreachable) as exc:
                self.connected = False
                self.stats["reconnects"] += 1
                self.failures += 1
                self.last_error = exc
            else:
                continue
            delay = backoff(self.failures)
            if delay and not should_stop():
                sleep(delay)
            # not a change: lets a caller that steps this generator look at its clock
            yield ("retry", self.kind, delay)

    def _watch_once(self, should_stop):
        started = self.clock()
        stream = self.api.watch(
            self.kind,
            self.namespace,
            self.resource_version,
            self.watch_timeout,
            **self._selectors()
        )
        self.stats["watches"] += 1
        self.connected = True
        with self._lock:
            self._stream = stream
        got_event = False
        try:
            for event in stream:
                if should_stop():
                    return
                if event is None:
                    yield None
                    continue
                etype = event.get("type")
                obj = event.get("object") or {}
                if etype == "ERROR":
                    code = obj.get("code")
                    text = "watch %s: %s" % (self.kind, obj.get("message") or obj.get("reason") or obj)
                    if code == 410:
                        raise Gone(text)
                    if code in (401, 403):
                        raise Forbidden(text, code)
                    raise WatchDropped(text)
                got_event = True
                self.failures = 0
                version = rollout.dig(obj, "metadata", "resourceVersion")
                if version:
                    self.resource_version = version
                if etype == "BOOKMARK":
                    continue
                self.stats["events"] += 1
                yield ("event", self.kind, etype, obj)
        finally:
            with self._lock:
                self._stream = None
            stream.close()
        if not got_event and self.clock() - started < HEALTHY_STREAM_SECONDS:
            raise WatchDropped("watch %s: the stream ended at once" % self.kind)
        self.failures = 0


class ThreadedInbox:
    """Run reflectors in daemon threads; get() returns their next message."""

    def __init__(self, reflectors):
        self._queue = queue.Queue()
        self._stop = threading.Event()
        self._reflectors = list(reflectors)
        self._threads = []
        for reflector in self._reflectors:
            thread = threading.Thread(
                target=self._pump, args=(reflector,), name="watch-%s" % reflector.kind
            )
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    def _pump(self, reflector):
        try:
            for message in reflector.run(self._stop.is_set, self._stop.wait):
                if self._stop.is_set():
                    break
                if message is not None and message[0] != "retry":
                    self._queue.put(message)
        except Exception as exc:  # pylint: disable=broad-except
            if not self._stop.is_set():
                self._queue.put(("error", reflector.kind, exc))

    def get(self, timeout):
        try:
            return self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def close(self):
        self._stop.set()
        for reflector in self._reflectors:
            reflector.close()
        for thread in self._threads:
            thread.join(JOIN_SECONDS)


class WaitFailed(Exception):
    """The wait failed; ``result`` holds what the module returns with the failure."""

    def __init__(self, msg, result=None):
        super(WaitFailed, self).__init__(msg)
        self.msg = msg
        self.result = result or {}


def error_message(exc, namespace):
    if isinstance(exc, Unreachable):
        return (
            "Cannot reach the Kubernetes API server: %s. Not waiting: check the host, "
            "kubeconfig and context options and that the API server runs." % exc
        )
    if isinstance(exc, Forbidden):
        return "Access denied: %s. In namespace %s %s." % (exc, namespace, RBAC_NEEDS)
    return "Kubernetes API request failed: %s" % exc


class RolloutWaiter:
    """Wait for a StatefulSet's rollout; see the module documentation for semantics."""

    def __init__(self, api, name, namespace, timeout, check_mode=False,
                 clock=time.monotonic, inbox_factory=ThreadedInbox,
                 watch_timeout=WATCH_TIMEOUT_SECONDS):
        self.api = api
        self.name = name
        self.namespace = namespace
        self.timeout = max(0, timeout)
        self.check_mode = check_mode
        self.clock = clock
        self.inbox_factory = inbox_factory
        self.watch_timeout = watch_timeout
        self.sts = None
        self.pods = {}
        self.tracker = None
        self.warnings = []
        self.watch_stats = {"watches": 0, "relists": 0, "expired": 0, "reconnects": 0, "events": 0}
        self.lost_contact = None
        self._started = None
        self._decided = None

    # -- public ------------------------------------------------------------
    def run(self):
        """Return the result dict when the rollout is complete (or in check
        mode, the current state); raise WaitFailed otherwise."""
        self._started = self.clock()
        deadline = self._started + self.timeout
        items, sts_version = self._initial(
            self.api.list, "statefulsets", self.namespace,
            field_selector="metadata.name=%s" % self.name,
        )
        sts = self._pick(items)
        if sts is None:
            return self._missing()
        self.sts = sts
        selector = rollout.label_selector_string(rollout.dig(sts, "spec", "selector"))
        pods, pods_version = self._initial(
            self.api.list, "pods", self.namespace, label_selector=selector or None
        )
        self.pods = dict((rollout.name_of(p), p) for p in pods)
        policy = rollout.settings(sts)["policy"]
        self.tracker = rollout.ReadyTracker(self.name, enforced=policy == rollout.ORDERED_READY)
        self.tracker.reset(self._owned())
        evaluation = rollout.evaluate(self.sts, self._owned())
        if evaluation["done"] or self.check_mode:
            return self._finish(evaluation)
        if self.timeout > 0:
            evaluation = self._watch(deadline, sts_version, pods_version, selector)
        if evaluation["done"]:
            return self._finish(evaluation)
        raise self._timed_out()

    # -- phases --------------------------------------------------------------
    def _initial(self, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except KubeError as exc:
            raise WaitFailed(error_message(exc, self.namespace), self._base_result())

    def _pick(self, items):
        for item in items:
            if rollout.name_of(item) == self.name:
                return item
        return None

    def _watch(self, deadline, sts_version, pods_version, selector):
        reflectors = [
            Reflector(self.api, "statefulsets", self.namespace,
                      field_selector="metadata.name=%s" % self.name,
                      resource_version=sts_version, watch_timeout=self.watch_timeout,
                      clock=self.clock),
            Reflector(self.api, "pods", self.namespace, label_selector=selector or None,
                      resource_version=pods_version, watch_timeout=self.watch_timeout,
                      clock=self.clock),
        ]
        inbox = self.inbox_factory(reflectors)
        evaluation = rollout.evaluate(self.sts, self._owned())
        try:
            while True:
                remaining = deadline - self.clock()
                if remaining <= 0:
                    break
                message = inbox.get(remaining)
                if message is None or message[0] == "retry":
                    continue
                self._apply(message)
                evaluation = rollout.evaluate(self.sts, self._owned())
                if evaluation["done"]:
                    break
        finally:
            self._decided = self.clock()
            inbox.close()
            for reflector in reflectors:
                for key, value in reflector.stats.items():
                    self.watch_stats[key] += value
                if not reflector.connected:
                    self.lost_contact = reflector.last_error
        return evaluation

    def _apply(self, message):
        """Apply one message to the caches (raises WaitFailed on fatal errors)."""
        kind = message[1]
        if message[0] == "error":
            exc = message[2]
            if isinstance(exc, KubeError):
                text = error_message(exc, self.namespace)
            else:
                text = "Watching %s failed: %s: %s" % (kind, type(exc).__name__, exc)
            raise WaitFailed(text, self._result(rollout.evaluate(self.sts, self._owned())))
        if kind == "statefulsets":
            if message[0] == "sync":
                sts = self._pick(message[2])
            elif message[2] == "DELETED":
                sts = None
            else:
                sts = message[3] if rollout.name_of(message[3]) == self.name else self.sts
            if sts is None:
                raise WaitFailed(
                    "StatefulSet %s/%s was deleted while waiting for it."
                    % (self.namespace, self.name),
                    self._result(rollout.evaluate(self.sts, self._owned())),
                )
            self.sts = sts
            return
        if message[0] == "sync":
            self.pods = dict((rollout.name_of(p), p) for p in message[2])
            self.tracker.reset(self._owned())
            return
        event_type, pod = message[2], message[3]
        name = rollout.name_of(pod)
        if event_type == "DELETED":
            self.pods.pop(name, None)
        else:
            self.pods[name] = pod
        if rollout.owned_by(pod, self.sts):
            self.tracker.update(event_type, pod, self._owned())

    def _owned(self):
        return list(rollout.statefulset_pods(self.sts, self.pods.values()).values())

    # -- diagnostics -----------------------------------------------------------
    def _fetch_claims(self):
        """PVCs by name, for the claims the pods mount (None when not readable)."""
        wanted = set()
        for pod in self._owned():
            wanted.update(rollout.pod_claims(pod))
        if not wanted:
            return {}
        selector = rollout.label_selector_string(
            rollout.dig(self.sts, "spec", "selector"), match_labels_only=True
        )
        claims = {}
        try:
            items, _version = self.api.list(
                "persistentvolumeclaims", self.namespace, label_selector=selector or None
            )
            for item in items:
                claims[rollout.name_of(item)] = item
            for name in sorted(wanted - set(claims))[:MAX_CLAIM_GETS]:
                item = self.api.get("persistentvolumeclaims", self.namespace, name)
                if item is not None:
                    claims[name] = item
        except KubeError as exc:
            self.warnings.append("Could not read PersistentVolumeClaims: %s" % exc)
            return None
        return claims

    def _event_targets(self, evaluation):
        """(kind, name) of the objects whose events explain a stall: the
        StatefulSet, the first stuck pods and their claims."""
        by_ordinal = rollout.statefulset_pods(self.sts, self._owned())
        targets = [("StatefulSet", self.name)]
        for blocker in rollout.ordered_blockers(evaluation)[:rollout.MAX_EXPLAINED_PODS]:
            pod = by_ordinal.get(blocker["ordinal"])
            if pod is None:
                continue
            targets.append(("Pod", blocker["pod"]))
            targets.extend(("PersistentVolumeClaim", claim) for claim in rollout.pod_claims(pod))
        return targets

    def _fetch_events(self, evaluation):
        """The namespace's events in one request; in a namespace with more events
        than one page holds, the events of the objects that matter, one request each."""
        try:
            items, _version = self.api.list("events", self.namespace, max_pages=EVENT_PAGES)
            if not getattr(self.api, "truncated", False):
                return items
            items = []
            for kind, name in self._event_targets(evaluation):
                found, _version = self.api.list(
                    "events", self.namespace,
                    field_selector="involvedObject.kind=%s,involvedObject.name=%s" % (kind, name),
                )
                items.extend(found)
        except KubeError as exc:
            self.warnings.append("Could not read events: %s" % exc)
            return None
        return items

    # -- results -------------------------------------------------------------
    def _elapsed(self):
        end = self._decided if self._decided is not None else self.clock()
        return round(end - self._started, 3)

    def _base_result(self):
        return {
            "ready": False,
            "elapsed": self._elapsed(),
            "api_requests": self.api.total_requests,
            "api_requests_by_verb": dict(self.api.requests),
            "watch": dict(self.watch_stats),
        }

    def _missing(self):
        text = (
            "StatefulSet %s/%s does not exist. This module does not wait for it to appear: "
            "create it first (for example with the stateful.nfs_redis.redis role)."
            % (self.namespace, self.name)
        )
        result = self._base_result()
        result.update(exists=False, message=text, pods=[], ready_order=[], status={},
                      order_violations=[], stuck=[], waiting_for=[text])
        if self.check_mode:
            result["warnings"] = [
                text + " In check mode a previous task may not have created it yet."
            ]
            return result
        raise WaitFailed(text, result)

    def _result(self, evaluation, claims=None, problems=None):
        s = evaluation["settings"]
        owned = self._owned()
        current = set(rollout.name_of(p) for p in owned if rollout.is_pod_ready(p))
        result = self._base_result()
        result.update(
            {
                "ready": evaluation["done"],
                "exists": True,
                "message": evaluation["message"],
                "pods": rollout.describe_pods(self.sts, owned, claims),
                "ready_order": [n for n in self.tracker.order if n in current] if self.tracker else [],
                "status": dict(self.sts.get("status") or {}),
                "pod_management_policy": s["policy"],
                "update_strategy": s["strategy"],
                "partition": s["partition"],
                "update_revision": s["update_revision"],
                "order_enforced": s["policy"] == rollout.ORDERED_READY,
                "order_violations": list(self.tracker.violations) if self.tracker else [],
                "outdated_pods": evaluation["outdated_pods"],
                "waiting_for": evaluation["waiting_for"],
                "stuck": problems or [],
            }
        )
        if s["policy"] == rollout.PARALLEL:
            result["message"] += (
                "; podManagementPolicy Parallel: readiness order is not enforced and not checked"
            )
        warnings = list(self.warnings)
        for violation in result["order_violations"]:
            warnings.append(
                "OrderedReady order violated: " + rollout.violation_text(violation)
            )
        if evaluation["outdated_pods"]:
            warnings.append(rollout.ondelete_note(evaluation))
        result["warnings"] = warnings
        return result

    def _finish(self, evaluation):
        if self._decided is None:
            self._decided = self.clock()
        claims = self._fetch_claims()
        problems = []
        if not evaluation["done"]:  # check mode, not ready: say why
            events = self._fetch_events(evaluation)
            problems = rollout.explain(self.sts, self._owned(), claims, events)
        result = self._result(evaluation, claims, problems)
        if not evaluation["done"]:
            result["message"] = rollout.failure_message(
                self.sts, self._owned(), problems, result["elapsed"], reason="is not ready (check mode)"
            )
        return result

    def _timed_out(self):
        if self._decided is None:
            self._decided = self.clock()
        evaluation = rollout.evaluate(self.sts, self._owned())
        claims = self._fetch_claims()
        events = self._fetch_events(evaluation)
        problems = rollout.explain(self.sts, self._owned(), claims, events)
        result = self._result(evaluation, claims, problems)
        msg = rollout.failure_message(
            self.sts, self._owned(), problems, result["elapsed"]
        )
        if self.lost_contact is not None:
            msg = (
                "Lost contact with the API server while waiting (%s); what follows is the "
                "last state seen. %s" % (self.lost_contact, msg)
            )
        result["message"] = msg
        return WaitFailed(msg, result)


def wait_for_rollout(api, name, namespace, timeout, check_mode=False, **kwargs):
    """Convenience entry point for modules and integration tests."""
    return RolloutWaiter(api, name, namespace, timeout, check_mode=check_mode, **kwargs).run()


__all__ = [
    "Reflector",
    "ThreadedInbox",
    "RolloutWaiter",
    "WaitFailed",
    "error_message",
    "wait_for_rollout",
]
