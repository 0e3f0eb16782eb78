# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wait: list, then watch the StatefulSet and its pods; decide; explain a stall.

:class:`RolloutWaiter` owns the caches and the decision: it runs two
reflectors (``reflector.py``) in an inbox, applies their messages, asks
:func:`rollout.evaluate` after each change and returns as soon as the rollout
is complete, or fails with :func:`diagnose.explain`'s diagnostics.

The API object is a :class:`kube.KubeApi` (or a fake with the same ``list``,
``list_pages``, ``watch``, ``get``, ``requests`` and ``total_requests``); the
inbox factory is :class:`reflector.ThreadedInbox` unless a test passes another.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.stateful.nfs_redis.plugins.module_utils import diagnose, rollout
from ansible_collections.stateful.nfs_redis.plugins.module_utils.kube import (
    Forbidden,
    KubeError,
    Unreachable,
)
from ansible_collections.stateful.nfs_redis.plugins.module_utils.objects import (
    dig,
    is_pod_ready,
    label_selector_string,
    name_of,
    owned_by,
    pod_claims,
    statefulset_pods,
)
from ansible_collections.stateful.nfs_redis.plugins.module_utils.reflector import (
    WATCH_TIMEOUT_SECONDS,
    Reflector,
    ThreadedInbox,
)

MAX_CLAIM_GETS = 10
EVENT_PAGES = 2

RBAC_NEEDS = (
    "the wait needs get, list and watch on statefulsets.apps and pods, and list on "
    "persistentvolumeclaims and events"
)


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
        selector = label_selector_string(dig(sts, "spec", "selector"))
        pods, pods_version = self._initial(
            self.api.list, "pods", self.namespace, label_selector=selector or None
        )
        self.pods = dict((name_of(p), p) for p in pods)
        policy = rollout.settings(sts)["policy"]
        self.tracker = rollout.ReadyTracker(self.name, enforced=policy == rollout.ORDERED_READY)
        self.tracker.reset(self._owned())
        evaluation = rollout.evaluate(self.sts, self._owned())
        if evaluation["done"] or self.check_mode:
            return self._finish(evaluation)
        if self.timeout > 0:
            evaluation = self._watch(deadline, sts_version, pods_version, selector, evaluation)
        if evaluation["done"]:
            return self._finish(evaluation)
        raise self._timed_out(evaluation)

    # -- phases --------------------------------------------------------------
    def _initial(self, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except KubeError as exc:
            raise WaitFailed(error_message(exc, self.namespace), self._base_result())

    def _pick(self, items):
        for item in items:
            if name_of(item) == self.name:
                return item
        return None

    def _watch(self, deadline, sts_version, pods_version, selector, evaluation):
        """Apply the reflectors' messages until the rollout is done or the deadline
        passes; returns the evaluation of the last state seen."""
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
        try:
            while True:
                remaining = deadline - self.clock()
                if remaining <= 0:
                    break
                message = inbox.get(remaining)
                if message is None:
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
                sts = message[3] if name_of(message[3]) == self.name else self.sts
            if sts is None:
                raise WaitFailed(
                    "StatefulSet %s/%s was deleted while waiting for it."
                    % (self.namespace, self.name),
                    self._result(rollout.evaluate(self.sts, self._owned())),
                )
            self.sts = sts
            return
        if message[0] == "sync":
            self.pods = dict((name_of(p), p) for p in message[2])
            self.tracker.reset(self._owned())
            return
        event_type, pod = message[2], message[3]
        name = name_of(pod)
        if event_type == "DELETED":
            self.pods.pop(name, None)
        else:
            self.pods[name] = pod
        if owned_by(pod, self.sts):
            self.tracker.update(event_type, pod, self._owned())

    def _owned(self):
        return list(statefulset_pods(self.sts, self.pods.values()).values())

    # -- diagnostics -----------------------------------------------------------
    def _fetch_claims(self):
        """PVCs by name, for the claims the pods mount (None when not readable)."""
        wanted = set()
        for pod in self._owned():
            wanted.update(pod_claims(pod))
        if not wanted:
            return {}
        selector = label_selector_string(
            dig(self.sts, "spec", "selector"), match_labels_only=True
        )
        claims = {}
        try:
            items, _version = self.api.list(
                "persistentvolumeclaims", self.namespace, label_selector=selector or None
            )
            for item in items:
                claims[name_of(item)] = item
            for name in sorted(wanted - set(claims))[:MAX_CLAIM_GETS]:
                item = self.api.get("persistentvolumeclaims", self.namespace, name)
                if item is not None:
                    claims[name] = item
        except KubeError as exc:
            self.warnings.append("Could not read PersistentVolumeClaims: %s" % exc)
            return None
        return claims

    def _fetch_events(self, evaluation):
        """The namespace's events in one request; in a namespace with more events
        than one page holds, the events of the objects that matter, one request each."""
        try:
            items, truncated = self.api.list_pages("events", self.namespace, EVENT_PAGES)
            if not truncated:
                return items
            items = []
            for kind, name in diagnose.event_targets(self.sts, self._owned(), evaluation):
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
        current = set(name_of(p) for p in owned if is_pod_ready(p))
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
        """The result of a complete rollout or, in check mode, of the current state."""
        if not evaluation["done"]:
            return self._diagnosed(evaluation, "is not ready (check mode)")
        if self._decided is None:
            self._decided = self.clock()
        return self._result(evaluation, self._fetch_claims())

    def _timed_out(self, evaluation):
        """The failure of a rollout not complete by the deadline (``evaluation``: its last state)."""
        result = self._diagnosed(evaluation, "is not ready")
        if self.lost_contact is not None:
            result["message"] = (
                "Lost contact with the API server while waiting (%s); what follows is the "
                "last state seen. %s" % (self.lost_contact, result["message"])
            )
        return WaitFailed(result["message"], result)

    def _diagnosed(self, evaluation, reason):
        """The result of an unfinished rollout: its diagnostics and the failure message."""
        if self._decided is None:
            self._decided = self.clock()
        claims = self._fetch_claims()
        events = self._fetch_events(evaluation)
        problems = diagnose.explain(self.sts, self._owned(), evaluation, claims, events)
        result = self._result(evaluation, claims, problems)
        result["message"] = diagnose.failure_message(evaluation, problems, result["elapsed"], reason)
        return result


def wait_for_rollout(api, name, namespace, timeout, check_mode=False, **kwargs):
    """Convenience entry point for modules and integration tests."""
    return RolloutWaiter(api, name, namespace, timeout, check_mode=check_mode, **kwargs).run()


__all__ = [
    "RolloutWaiter",
    "WaitFailed",
    "error_message",
    "wait_for_rollout",
]
