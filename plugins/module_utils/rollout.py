# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure rollout logic for StatefulSets: no I/O, plain dicts in, plain dicts out.

Given a StatefulSet, its pods, PersistentVolumeClaims and Events (all as the
JSON dicts the API server returns) this module answers:

* is the rollout done? (:func:`evaluate`)
* did pods become Ready in ordinal order? (:class:`ReadyTracker`)
* if not done, which ordinal is stuck and why? (:func:`explain`)

The watch loop in ``watch.py`` only feeds these functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from datetime import datetime, timedelta, timezone

REVISION_LABEL = "controller-revision-hash"
ORDERED_READY = "OrderedReady"
PARALLEL = "Parallel"
ROLLING_UPDATE = "RollingUpdate"
ON_DELETE = "OnDelete"

NFS_CLIENT_HINT = (
    "install NFS client utilities on the node (stateful.nfs_redis.nfs_client role)"
)

# Container waiting reasons that explain a stuck pod by themselves.
IMAGE_REASONS = (
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "ErrImageNeverPull",
    "RegistryUnavailable",
)
CONFIG_REASONS = ("CreateContainerConfigError", "CreateContainerError", "RunContainerError")
BENIGN_WAITING = ("ContainerCreating", "PodInitializing")

MAX_EVENTS_PER_OBJECT = 3
MAX_EXPLAINED_PODS = 3

_TIME_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def dig(obj, *path, **kwargs):
    """Return obj[path[0]][path[1]]... or ``default`` when any step is missing."""
    default = kwargs.get("default")
    for key in path:
        if not isinstance(obj, dict):
            return default
        obj = obj.get(key)
        if obj is None:
            return default
    return obj


def parse_time(value):
    """Parse an RFC 3339 time (metav1.Time or MicroTime) into an aware datetime."""
    if not value or not isinstance(value, str):
        return None
    match = _TIME_RE.match(value.strip())
    if not match:
        return None
    day, clock, frac, zone = match.groups()
    result = datetime.strptime(day + "T" + clock, "%Y-%m-%dT%H:%M:%S")
    if frac:
        result = result.replace(microsecond=int((frac[1:] + "000000")[:6]))
    offset = timedelta(0)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return result.replace(tzinfo=timezone(offset))


def time_key(value):
    """Sortable float (seconds since epoch) of an RFC 3339 string; missing sorts last."""
    parsed = parse_time(value)
    if parsed is None:
        return float("inf")
    return (parsed - _EPOCH).total_seconds()


def name_of(obj):
    return dig(obj, "metadata", "name")


def uid_of(obj):
    return dig(obj, "metadata", "uid")


def condition(obj, ctype):
    """The condition of type ``ctype`` of obj.status.conditions, or {}."""
    for cond in dig(obj, "status", "conditions", default=[]) or []:
        if isinstance(cond, dict) and cond.get("type") == ctype:
            return cond
    return {}


def is_terminating(pod):
    return bool(dig(pod, "metadata", "deletionTimestamp"))


def is_pod_ready(pod):
    """Ready condition True, not terminating, not finished."""
    if pod is None or is_terminating(pod):
        return False
    if dig(pod, "status", "phase") in ("Succeeded", "Failed"):
        return False
    return condition(pod, "Ready").get("status") == "True"


def ready_at(pod):
    """lastTransitionTime of the Ready condition when the pod is Ready, else None."""
    if not is_pod_ready(pod):
        return None
    return condition(pod, "Ready").get("lastTransitionTime")


def pod_revision(pod):
    return dig(pod, "metadata", "labels", REVISION_LABEL)


def pod_claims(pod):
    """Names of the PersistentVolumeClaims a pod mounts, in volume order."""
    names = []
    for volume in dig(pod, "spec", "volumes", default=[]) or []:
        claim = dig(volume, "persistentVolumeClaim", "claimName")
        if claim and claim not in names:
            names.append(claim)
    return names


def label_selector_string(selector, match_labels_only=False):
    """Render a metav1.LabelSelector as the string the API's labelSelector takes."""
    selector = selector or {}
    parts = []
    for key in sorted(selector.get("matchLabels") or {}):
        parts.append("%s=%s" % (key, selector["matchLabels"][key]))
    if not match_labels_only:
        for expr in selector.get("matchExpressions") or []:
            key = expr.get("key")
            operator = expr.get("operator")
            values = ",".join(expr.get("values") or [])
            if operator == "In":
                parts.append("%s in (%s)" % (key, values))
            elif operator == "NotIn":
                parts.append("%s notin (%s)" % (key, values))
            elif operator == "Exists":
                parts.append(key)
            elif operator == "DoesNotExist":
                parts.append("!" + key)
    return ",".join(parts)


def pod_ordinal(sts_name, pod_name):
    """Ordinal of ``<sts_name>-<n>``, or None for any other name."""
    prefix = sts_name + "-"
    if not pod_name or not pod_name.startswith(prefix):
        return None
    suffix = pod_name[len(prefix):]
    if not suffix.isdigit() or str(int(suffix)) != suffix:
        return None
    return int(suffix)


def owned_by(pod, sts):
    """True when the StatefulSet is the pod's controller (uid checked when known)."""
    sts_uid = uid_of(sts)
    for ref in dig(pod, "metadata", "ownerReferences", default=[]) or []:
        if (
            ref.get("controller")
            and ref.get("kind") == "StatefulSet"
            and ref.get("name") == name_of(sts)
            and (not sts_uid or not ref.get("uid") or ref.get("uid") == sts_uid)
        ):
            return True
    return False


def statefulset_pods(sts, pods):
    """Map ordinal -> pod for the pods that the StatefulSet controls."""
    result = {}
    sts_name = name_of(sts)
    for pod in pods:
        ordinal = pod_ordinal(sts_name, name_of(pod))
        if ordinal is not None and owned_by(pod, sts):
            result[ordinal] = pod
    return result


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
        "current_revision": status.get("currentRevision"),
        "status_replicas": int(status.get("replicas") or 0),
        "ready_replicas": ready,
        "available_replicas": int(status.get("availableReplicas", ready) or 0),
        "updated_replicas": int(status.get("updatedReplicas") or 0),
        "claim_templates": [
            name_of(t) for t in spec.get("volumeClaimTemplates") or [] if name_of(t)
        ],
    }


def pod_name(sts_name, ordinal):
    return "%s-%d" % (sts_name, ordinal)


def pod_state(pod):
    """A short human description of a not-ready pod: 'Pending', 'Running, not Ready'..."""
    if pod is None:
        return "not created"
    if is_terminating(pod):
        return "Terminating"
    phase = dig(pod, "status", "phase", default="Unknown")
    if phase == "Running" and not is_pod_ready(pod):
        return "Running, not Ready"
    return phase


# ---------------------------------------------------------------------------
# the decision
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# diagnosis
# ---------------------------------------------------------------------------


def event_time(event):
    return (
        event.get("lastTimestamp")
        or dig(event, "series", "lastObservedTime")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or dig(event, "metadata", "creationTimestamp")
    )


def events_for(events, kind, name, uid=None):
    """Events about one object, newest first, Warnings before Normal ones, deduplicated."""
    found = []
    seen = set()
    for event in events or []:
        involved = event.get("involvedObject") or event.get("regarding") or {}
        if involved.get("kind") != kind or involved.get("name") != name:
            continue
        if uid and involved.get("uid") and involved.get("uid") != uid:
            continue  # about an earlier object of the same name
        found.append(event)
    found.sort(key=lambda e: time_key(event_time(e)), reverse=True)
    found.sort(key=lambda e: 0 if e.get("type") == "Warning" else 1)
    result = []
    for event in found:
        key = (event.get("reason"), event.get("message") or event.get("note"))
        if key in seen:
            continue
        seen.add(key)
        result.append(event)
    return result


def event_text(event):
    count = event.get("count") or dig(event, "series", "count")
    text = "%s: %s" % (event.get("reason"), (event.get("message") or event.get("note") or "").strip())
    if count and int(count) > 1:
        text += " (x%d)" % int(count)
    return text


def _add(items, text):
    if text and text not in items:
        items.append(text)


def hints_for_event(event, node=None):
    """Hints that an event's reason and message imply."""
    reason = event.get("reason") or ""
    message = event.get("message") or event.get("note") or ""
    low = message.lower()
    hints = []
    if reason in ("FailedMount", "FailedAttachVolume", "FailedMapVolume"):
        if "access denied" in low or "permission denied" in low:
            _add(
                hints,
                "the NFS server refused the mount: check the export's client list and "
                "options (stateful.nfs_redis.nfs_server role)",
            )
        elif "connection timed out" in low or "no route to host" in low or "connection refused" in low:
            _add(
                hints,
                "the node cannot reach the NFS server: check the server address, that it "
                "serves, and firewalls between node and server",
            )
        elif (
            "exit status 32" in low
            or "helper program" in low
            or "wrong fs type" in low
            or "bad option" in low
        ):
            _add(
                hints,
                "the node%s cannot mount NFS: %s"
                % (" " + node if node else "", NFS_CLIENT_HINT),
            )
    if "storageclass.storage.k8s.io" in low and "not found" in low:
        match = re.search(r'storageclass\.storage\.k8s\.io "([^"]+)" not found', message)
        _add(
            hints,
            "StorageClass %s does not exist: create it (stateful.nfs_redis.nfs_provisioner "
            "role) or fix the claim template's storageClassName"
            % ('"%s"' % match.group(1) if match else ""),
        )
    if reason == "ExternalProvisioning" or "waiting for a volume to be created" in low:
        match = re.search(r'external provisioner "([^"]+)"', message)
        _add(
            hints,
            "no provisioner %s has acted on the claim: check that the "
            "nfs-subdir-external-provisioner Deployment is running and that its "
            "PROVISIONER_NAME equals the StorageClass's provisioner "
            "(stateful.nfs_redis.nfs_provisioner role)"
            % ('"%s"' % match.group(1) if match else "for this StorageClass"),
        )
    if reason == "FailedCreate" and "exceeded quota" in low:
        _add(hints, "a ResourceQuota blocks pod or claim creation")
    return hints


def _explain_claims(pod, pvcs, events, details, hints):
    if pvcs is None:
        return
    for claim in pod_claims(pod):
        pvc = pvcs.get(claim)
        if pvc is None:
            _add(details, "PVC %s does not exist" % claim)
            continue
        phase = dig(pvc, "status", "phase", default="Unknown")
        if phase == "Bound":
            continue
        text = "PVC %s is %s" % (claim, phase)
        if phase == "Lost":
            text += " (its PersistentVolume is gone)"
        about = events_for(events, "PersistentVolumeClaim", claim, uid_of(pvc))
        if about:
            text += ": " + "; ".join(event_text(e) for e in about[:MAX_EVENTS_PER_OBJECT])
        elif events is not None:
            text += " (no events about it; events expire after an hour by default)"
        _add(details, text)
        for event in about:
            for hint in hints_for_event(event):
                _add(hints, hint)
        storage_class = dig(pvc, "spec", "storageClassName")
        if phase == "Pending" and not about and storage_class:
            _add(
                hints,
                "check that StorageClass %s exists and its provisioner runs" % storage_class,
            )


def _explain_containers(pod, details, hints):
    namespace = dig(pod, "metadata", "namespace")
    statuses = [("init container", s) for s in dig(pod, "status", "initContainerStatuses", default=[]) or []]
    statuses += [("container", s) for s in dig(pod, "status", "containerStatuses", default=[]) or []]
    for label, cstatus in statuses:
        cname = cstatus.get("name")
        waiting = dig(cstatus, "state", "waiting")
        terminated = dig(cstatus, "state", "terminated")
        if waiting:
            reason = waiting.get("reason") or "Waiting"
            message = (waiting.get("message") or "").strip()
            if reason in BENIGN_WAITING and not message:
                _add(details, "%s %s: %s" % (label, cname, reason))
                continue
            text = "%s %s: %s" % (label, cname, reason)
            if message:
                text += ": " + message
            if reason == "CrashLoopBackOff":
                last = dig(cstatus, "lastState", "terminated") or {}
                text += " (restarts %s, last exit code %s%s)" % (
                    cstatus.get("restartCount", 0),
                    last.get("exitCode", "?"),
                    ", " + last["reason"] if last.get("reason") else "",
                )
                _add(
                    hints,
                    "read its last output: kubectl logs --previous -n %s %s -c %s"
                    % (namespace, name_of(pod), cname),
                )
            elif reason in IMAGE_REASONS:
                _add(
                    hints,
                    "check the image reference %s and that the node can pull it"
                    % (cstatus.get("image") or ""),
                )
            elif reason in CONFIG_REASONS:
                _add(hints, "a referenced Secret, ConfigMap or setting is wrong or missing")
            _add(details, text)
        elif terminated and label == "init container" and terminated.get("exitCode"):
            _add(
                details,
                "%s %s exited with code %s (%s)"
                % (label, cname, terminated.get("exitCode"), terminated.get("reason") or "Error"),
            )
        elif label == "container" and dig(cstatus, "state", "running") and not cstatus.get("ready"):
            _add(details, "container %s is running but not ready" % cname)


def explain_pod(pod, pvcs=None, events=None):
    """Why an existing pod is not Ready: (details, hints), both lists of sentences.

    ``pvcs`` maps claim name -> PVC dict (None: not fetched); ``events`` is a list
    of Event dicts (None: not fetched).
    """
    details = []
    hints = []
    node = dig(pod, "spec", "nodeName")
    if is_terminating(pod):
        text = "terminating since %s" % dig(pod, "metadata", "deletionTimestamp")
        finalizers = dig(pod, "metadata", "finalizers", default=[]) or []
        if finalizers:
            text += " (finalizers: %s)" % ", ".join(finalizers)
        _add(details, text)
    phase = dig(pod, "status", "phase")
    if phase in ("Failed", "Succeeded"):
        _add(
            details,
            "phase %s%s"
            % (
                phase,
                ": %s %s" % (dig(pod, "status", "reason", default=""), dig(pod, "status", "message", default=""))
                if dig(pod, "status", "reason") or dig(pod, "status", "message")
                else "",
            ),
        )
    _explain_claims(pod, pvcs, events, details, hints)
    scheduled = condition(pod, "PodScheduled")
    if scheduled.get("status") == "False":
        _add(
            details,
            "not scheduled: %s: %s" % (scheduled.get("reason"), scheduled.get("message") or ""),
        )
    elif not scheduled and not node and phase in (None, "Pending"):
        _add(details, "not scheduled yet and no scheduling decision recorded")
        _add(hints, "is kube-scheduler running?")
    _explain_containers(pod, details, hints)
    about = events_for(events, "Pod", name_of(pod), uid_of(pod))
    warnings = [e for e in about if e.get("type") == "Warning"]
    for event in warnings[:MAX_EVENTS_PER_OBJECT]:
        message = (event.get("message") or event.get("note") or "").strip()
        if message and any(message in detail for detail in details):
            continue  # already said, e.g. by the PodScheduled condition
        _add(details, "event " + event_text(event))
    for event in about:
        for hint in hints_for_event(event, node):
            _add(hints, hint)
    if not details:
        _add(details, "phase %s, Ready condition %s" % (
            phase, condition(pod, "Ready").get("status", "absent")))
    return details, hints


def explain(sts, pods, pvcs=None, events=None):
    """Explain an unfinished rollout.

    Returns a list of problems, most important first; each is a dict with
    ordinal, pod, state, summary, details (list), hints (list). A problem
    without pod (ordinal None) concerns the StatefulSet itself.
    """
    evaluation = evaluate(sts, pods)
    s = evaluation["settings"]
    by_ordinal = statefulset_pods(sts, pods)
    problems = []
    sts_events = events_for(events, "StatefulSet", s["name"], uid_of(sts))

    ordered = ordered_blockers(evaluation)
    first_unready = None
    for blocker in ordered:
        if blocker["state"] in ("not_ready", "terminating", "missing"):
            first_unready = blocker
            break

    explained = 0
    for blocker in ordered:
        ordinal = blocker["ordinal"]
        pod = by_ordinal.get(ordinal)
        problem = {
            "ordinal": ordinal,
            "pod": blocker["pod"],
            "state": blocker["state"],
            "phase": dig(pod, "status", "phase") if pod else None,
            "details": [],
            "hints": [],
        }
        if blocker["state"] == "missing":
            earlier = [
                b for b in ordered
                if b["state"] in ("not_ready", "terminating", "missing") and b["ordinal"] < ordinal
            ]
            if s["policy"] == ORDERED_READY and earlier:
                problem["summary"] = (
                    "not created yet: with podManagementPolicy OrderedReady the controller "
                    "creates it only after %s is Running and Ready" % pod_name(s["name"], ordinal - 1)
                )
            else:
                problem["summary"] = "not created yet"
                failed = [e for e in sts_events if e.get("type") == "Warning"]
                for event in failed[:MAX_EVENTS_PER_OBJECT]:
                    _add(problem["details"], "StatefulSet event " + event_text(event))
                    for hint in hints_for_event(event):
                        _add(problem["hints"], hint)
                if events is not None and not failed:
                    _add(
                        problem["details"],
                        "no warning events on the StatefulSet explain why the controller "
                        "has not created it",
                    )
        elif blocker["state"] == "outdated":
            problem["summary"] = "Ready at revision %s, waiting to be updated to %s" % (
                pod_revision(pod), s["update_revision"])
            if first_unready is not None:
                problem["summary"] += " (RollingUpdate proceeds only while all pods are Ready)"
        elif blocker["state"] == "extra":
            problem["summary"] = "scale-down to %d replicas, waiting for the pod to go" % s["replicas"]
            if is_terminating(pod):
                problem["summary"] += " (terminating since %s)" % dig(pod, "metadata", "deletionTimestamp")
        else:
            problem["summary"] = pod_state(pod)
            if explained < MAX_EXPLAINED_PODS:
                details, hints = explain_pod(pod, pvcs, events)
                problem["details"] = details
                problem["hints"] = hints
                explained += 1
        problems.append(problem)

    if not problems and evaluation["waiting_for"]:
        problem = {
            "ordinal": None,
            "pod": None,
            "state": "status",
            "phase": None,
            "summary": "the StatefulSet status is not final: " + "; ".join(evaluation["waiting_for"]),
            "details": [],
            "hints": [],
        }
        observed = s["observed_generation"]
        if observed is None or int(observed) < s["generation"]:
            problem["hints"].append("is kube-controller-manager running?")
        for event in sts_events[:MAX_EVENTS_PER_OBJECT]:
            _add(problem["details"], "StatefulSet event " + event_text(event))
        problems.append(problem)
    return problems


def problem_text(problem):
    if problem["pod"] is None:
        text = problem["summary"]
    else:
        text = "ordinal %d (%s): %s" % (problem["ordinal"], problem["pod"], problem["summary"])
    if problem["details"]:
        text += ": " + "; ".join(d.rstrip(". ") for d in problem["details"])
    if problem["hints"]:
        text += ". Hint: " + "; ".join(h.rstrip(". ") for h in problem["hints"])
    return text


def failure_message(sts, pods, problems, elapsed, reason="is not ready"):
    """The message of a failed wait: a summary, then the stuck ordinal first."""
    evaluation = evaluate(sts, pods)
    s = evaluation["settings"]
    strategy = s["strategy"]
    if strategy == ROLLING_UPDATE and s["partition"]:
        strategy += " partition %d" % s["partition"]
    parts = [
        "StatefulSet %s/%s %s after %ss: %d of %d pods Ready (podManagementPolicy %s, "
        "updateStrategy %s)."
        % (
            s["namespace"],
            s["name"],
            reason,
            _seconds(elapsed),
            evaluation["ready_count"],
            s["replicas"],
            s["policy"],
            strategy,
        )
    ]
    stuck = [p for p in problems if p["state"] in ("not_ready", "terminating", "missing")]
    rest = [p for p in problems if p not in stuck]
    if stuck:
        parts.append(_sentence("Stuck at " + problem_text(stuck[0])))
    elif rest and rest[0]["pod"] is not None:
        parts.append(_sentence("Waiting for " + problem_text(rest[0])))
        rest = rest[1:]
    for problem in stuck[1:] + rest:
        text = problem_text(problem)
        parts.append(_sentence(text[0].upper() + text[1:]))
    return " ".join(parts)


def _sentence(text):
    text = text.rstrip()
    if text.endswith((".", "?", "!")):
        return text
    return text + "."


def _seconds(value):
    value = round(float(value), 1)
    if value == int(value):
        return str(int(value))
    return str(value)


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
