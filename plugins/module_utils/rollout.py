# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout's state: no I/O, plain dicts in, plain dicts out.

Given a StatefulSet and its pods (the JSON dicts the API server returns) this
module answers:

* is the rollout done, and if not, what is it waiting for? (:func:`evaluate`)
* did pods become Ready in ordinal order? (:class:`ReadyTracker`)

Why an unfinished rollout is stuck is ``diagnose.py``'s question; the watch
loop in ``watch.py`` only feeds these functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stateful.nfs_redis.plugins.module_utils.objects import (
    condition,
    dig,
    is_pod_ready,
    is_terminating,
    name_of,
    pod_claims,
    pod_name,
    pod_ordinal,
    pod_revision,
    ready_at,
    statefulset_pods,
    time_key,
    uid_of,
)

ORDERED_READY = "OrderedReady"
PARALLEL = "Parallel"
ROLLING_UPDATE = "RollingUpdate"
ON_DELETE = "OnDelete"


def settings(sts):
    """The StatefulSet fields the decision needs, with API defaults applied."""
    spec = sts.get("spec") or {}
    status = sts.get("status") or {}
    strategy = dig(spec, "updateStrategy", "type", default=ROLLING_UPDATE)
    replicas = spec.get("replicas")
    replicas = 1 if replicas is None else int(replicas)
    partition = int(dig(spec, "updateStrategy", "rollingUpdate", "partition", default=0))
    ready = int(status.get("readyReplicas") or 0)
    return {
        "name": name_of(sts),
        "namespace": dig(sts, "metadata", "namespace"),
        "generation": int(dig(sts, "metadata", "generation", default=0)),
        "observed_generation": status.get("observedGeneration"),
        "replicas": replicas,
        "start": int(dig(spec, "ordinals", "start", default=0)),
        "strategy": strategy,
        "partition": max(0, min(partition, replicas)) if strategy == ROLLING_UPDATE else 0,
        "policy": spec.get("podManagementPolicy") or ORDERED_READY,
        "min_ready_seconds": int(spec.get("minReadySeconds") or 0),
        "update_revision": status.get("updateRevision"),
        "status_replicas": int(status.get("replicas") or 0),
        "ready_replicas": ready,
        "available_replicas": int(status.get("availableReplicas", ready) or 0),
        "updated_replicas": int(status.get("updatedReplicas") or 0),
    }


def evaluate(sts, pods):
    """Decide whether the StatefulSet's rollout is complete.

    ``pods`` is an iterable of pod dicts (any pods: those not controlled by the
    StatefulSet are ignored). Returns a dict:

    done (bool), waiting_for (list of sentences, empty when done),
    blockers (list of {ordinal, pod, state}), outdated_pods (OnDelete pods not
    at updateRevision, not waited for), kept_pods (pods below a RollingUpdate
    partition, kept at their revision on purpose), settings, message.
    """
    s = settings(sts)
    by_ordinal = statefulset_pods(sts, pods)
    want = s["replicas"]
    waiting = []
    blockers = []
    outdated = []
    kept = []

    observed = s["observed_generation"]
    if observed is None or int(observed) < s["generation"]:
        waiting.append(
            "the StatefulSet controller has not observed generation %d yet "
            "(status.observedGeneration is %s)" % (s["generation"], observed)
        )
    if s["status_replicas"] != want:
        waiting.append("status.replicas is %d, want %d" % (s["status_replicas"], want))
    if s["ready_replicas"] != want:
        waiting.append(
            "status.readyReplicas is %d, want %d" % (s["ready_replicas"], want)
        )
    if s["min_ready_seconds"] > 0 and s["available_replicas"] != want:
        waiting.append(
            "status.availableReplicas is %d, want %d (minReadySeconds %d)"
            % (s["available_replicas"], want, s["min_ready_seconds"])
        )
    if s["strategy"] == ROLLING_UPDATE:
        target = want - s["partition"]
        if s["updated_replicas"] < target:
            waiting.append(
                "status.updatedReplicas is %d, want at least %d (replicas %d - partition %d)"
                % (s["updated_replicas"], target, want, s["partition"])
            )

    revision = s["update_revision"]
    ready_count = 0
    for index in range(want):
        ordinal = s["start"] + index
        pod = by_ordinal.get(ordinal)
        name = pod_name(s["name"], ordinal)
        ready_count += 1 if is_pod_ready(pod) else 0
        if pod is None:
            blockers.append({"ordinal": ordinal, "pod": name, "state": "missing"})
        elif is_terminating(pod):
            blockers.append({"ordinal": ordinal, "pod": name, "state": "terminating"})
        elif not is_pod_ready(pod):
            blockers.append({"ordinal": ordinal, "pod": name, "state": "not_ready"})
        elif revision and pod_revision(pod) != revision:
            if s["strategy"] == ON_DELETE:
                outdated.append(name)
            elif index >= s["partition"]:
                blockers.append({"ordinal": ordinal, "pod": name, "state": "outdated"})
            else:
                kept.append(name)
    for ordinal in sorted(by_ordinal):
        if ordinal < s["start"] or ordinal >= s["start"] + want:
            blockers.append(
                {"ordinal": ordinal, "pod": name_of(by_ordinal[ordinal]), "state": "extra"}
            )

    done = not waiting and not blockers
    result = {
        "done": done,
        "waiting_for": waiting,
        "blockers": blockers,
        "outdated_pods": outdated,
        "kept_pods": kept,
        "ready_count": ready_count,
        "settings": s,
    }
    result["message"] = summarize(result)
    return result


def summarize(evaluation):
    """One sentence about the evaluation, for progress and success messages."""
    s = evaluation["settings"]
    head = "StatefulSet %s/%s: %d of %d pods Ready" % (
        s["namespace"],
        s["name"],
        evaluation["ready_count"],
        s["replicas"],
    )
    if evaluation["done"]:
        parts = [head]
        if s["strategy"] == ROLLING_UPDATE and s["partition"] > 0:
            parts.append(
                "partitioned rollout complete: %d pods at revision %s (partition %d keeps %s)"
                % (
                    s["replicas"] - s["partition"],
                    s["update_revision"],
                    s["partition"],
                    ", ".join(evaluation["kept_pods"]) or "no outdated pod",
                )
            )
        elif s["update_revision"]:
            parts.append("revision %s" % s["update_revision"])
        if evaluation["outdated_pods"]:
            parts.append(ondelete_note(evaluation))
        return "; ".join(parts)
    first = ordered_blockers(evaluation)
    if first:
        b = first[0]
        return "%s; waiting for %s (%s)" % (head, b["pod"], _STATE_TEXT[b["state"]])
    return "%s; waiting: %s" % (head, "; ".join(evaluation["waiting_for"]))


def ondelete_note(evaluation):
    s = evaluation["settings"]
    return (
        "updateStrategy OnDelete: %s not at updateRevision %s; the controller updates "
        "them only when they are deleted, so they were not waited for"
        % (", ".join(evaluation["outdated_pods"]), s["update_revision"])
    )


_STATE_TEXT = {
    "missing": "not created yet",
    "terminating": "terminating",
    "not_ready": "not Ready",
    "outdated": "Ready but not yet at updateRevision",
    "extra": "scaled down, still present",
}


def ordered_blockers(evaluation):
    """Blockers in the order the controller will deal with them.

    Pods that exist but are not Ready (or are terminating) come first, lowest
    ordinal first; then missing pods; then outdated pods, highest ordinal first
    (RollingUpdate goes from the highest ordinal down); then pods of a
    scale-down, highest first.
    """
    rank = {"not_ready": 0, "terminating": 0, "missing": 1, "outdated": 2, "extra": 3}

    def key(blocker):
        ordinal = blocker["ordinal"]
        if blocker["state"] in ("outdated", "extra"):
            ordinal = -ordinal
        return (rank[blocker["state"]], ordinal)

    return sorted(evaluation["blockers"], key=key)


# ---------------------------------------------------------------------------
# readiness order
# ---------------------------------------------------------------------------


class ReadyTracker:
    """Tracks the order in which pods become Ready and checks OrderedReady.

    A violation is recorded when pod k becomes Ready (the first time for that
    incarnation: a later readiness flap is not an ordering question) while an
    *older* pod j < k (created before pod k) is not Ready. Younger predecessors (and those
    created in the same second) are excused: they were re-created after pod k (a rolling update of a lower
    ordinal, or a pod someone deleted), so the controller could not have waited
    for them. Missing predecessors are excused for the same reason.

    Transitions seen on the watch are checked against the cache at that moment
    (evidence ``observed``). Pods found already Ready (initial list, or a
    relist after a 410) are checked from the Ready conditions'
    lastTransitionTime (evidence ``lastTransitionTime``, one-second resolution).
    """

    def __init__(self, sts_name, enforced=True):
        self.sts_name = sts_name
        self.enforced = enforced
        self.order = []  # names, in the order they became Ready
        self._uids = {}  # name -> uid of the Ready incarnation
        self._ever_ready = set()  # uids seen Ready: only the first transition is checked
        self.violations = []
        self._flagged = set()

    # -- feeding ---------------------------------------------------------
    def reset(self, pods):
        """(Re)build from a full list: the initial list or a relist."""
        current = dict((name_of(p), p) for p in pods)
        for name in list(self.order):
            pod = current.get(name)
            if pod is None or not is_pod_ready(pod) or uid_of(pod) != self._uids.get(name):
                self._forget(name)
        newly = [
            p
            for p in pods
            if is_pod_ready(p) and name_of(p) not in self._uids
        ]
        newly.sort(
            key=lambda p: (
                time_key(ready_at(p)),
                time_key(dig(p, "metadata", "creationTimestamp")),
                pod_ordinal(self.sts_name, name_of(p)) or 0,
            )
        )
        for pod in newly:
            first = uid_of(pod) not in self._ever_ready
            self._remember(pod)
            if self.enforced and first:
                self._infer(pod, pods)

    def update(self, event_type, pod, pods):
        """Feed one watch event; ``pods`` is the cache *after* applying it."""
        name = name_of(pod)
        if event_type == "DELETED" or not is_pod_ready(pod):
            if name in self._uids:
                self._forget(name)
            return
        if self._uids.get(name) == uid_of(pod):
            return  # still Ready, nothing new
        if name in self._uids:
            self._forget(name)  # another incarnation became Ready
        first = uid_of(pod) not in self._ever_ready
        self._remember(pod)
        if self.enforced and first:  # a readiness flap later is not an ordering question
            self._check_observed(pod, pods)

    # -- checks ----------------------------------------------------------
    def _predecessors(self, pod, pods):
        ordinal = pod_ordinal(self.sts_name, name_of(pod))
        if ordinal is None:
            return []
        created = time_key(dig(pod, "metadata", "creationTimestamp"))
        result = []
        for other in pods:
            other_ordinal = pod_ordinal(self.sts_name, name_of(other))
            if other_ordinal is None or other_ordinal >= ordinal:
                continue
            if time_key(dig(other, "metadata", "creationTimestamp")) >= created:
                # Re-created after this pod: excused. A tie too: timestamps have one-second
                # resolution, and a predecessor deleted and re-created in the second this pod was
                # created is far likelier than a controller that broke OrderedReady.
                continue
            result.append((other_ordinal, other))
        return sorted(result, key=lambda item: item[0])

    def _check_observed(self, pod, pods):
        late = [
            name_of(other)
            for _ordinal, other in self._predecessors(pod, pods)
            if not is_pod_ready(other)
        ]
        if late:
            self._flag(pod, late, "observed")

    def _infer(self, pod, pods):
        mine = time_key(ready_at(pod))
        late = []
        for _ordinal, other in self._predecessors(pod, pods):
            ready = condition(other, "Ready")
            since = time_key(ready.get("lastTransitionTime"))
            if is_pod_ready(other):
                if since > mine:
                    late.append(name_of(other))
            elif since <= mine:
                late.append(name_of(other))  # not Ready since before pod became Ready
        if late:
            self._flag(pod, late, "lastTransitionTime")

    def _flag(self, pod, late, evidence):
        key = (uid_of(pod), name_of(pod))
        if key in self._flagged:
            return
        self._flagged.add(key)
        self.violations.append(
            {
                "pod": name_of(pod),
                "ordinal": pod_ordinal(self.sts_name, name_of(pod)),
                "ready_at": ready_at(pod),
                "not_ready_predecessors": late,
                "evidence": evidence,
            }
        )

    # -- bookkeeping -----------------------------------------------------
    def _remember(self, pod):
        self.order.append(name_of(pod))
        self._uids[name_of(pod)] = uid_of(pod)
        self._ever_ready.add(uid_of(pod))

    def _forget(self, name):
        self._uids.pop(name, None)
        if name in self.order:
            self.order.remove(name)


def violation_text(violation):
    return "%s became Ready (%s) while %s %s not Ready (evidence: %s)" % (
        violation["pod"],
        violation["ready_at"] or "time unknown",
        ", ".join(violation["not_ready_predecessors"]),
        "was" if len(violation["not_ready_predecessors"]) == 1 else "were",
        violation["evidence"],
    )


def describe_pods(sts, pods, pvcs=None):
    """The ``pods`` return value: controlled pods by ordinal."""
    s = settings(sts)
    result = []
    by_ordinal = statefulset_pods(sts, pods)
    for ordinal in sorted(by_ordinal):
        pod = by_ordinal[ordinal]
        claims = []
        for claim in pod_claims(pod):
            if pvcs is None:
                phase = "Unknown"
            elif claim in pvcs:
                phase = dig(pvcs[claim], "status", "phase", default="Unknown")
            else:
                phase = "Missing"
            claims.append({"name": claim, "phase": phase})
        revision = pod_revision(pod)
        result.append(
            {
                "ordinal": ordinal,
                "name": name_of(pod),
                "uid": uid_of(pod),
                "phase": dig(pod, "status", "phase"),
                "ready": is_pod_ready(pod),
                "ready_at": ready_at(pod),
                "terminating": is_terminating(pod),
                "node": dig(pod, "spec", "nodeName"),
                "revision": revision,
                "updated": bool(s["update_revision"]) and revision == s["update_revision"],
                "claims": claims,
            }
        )
    return result
