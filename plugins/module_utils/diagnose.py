# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why a rollout is stuck: explanations, hints and the failure message.

No I/O: given an evaluation (``rollout.evaluate``) and the StatefulSet's pods,
PersistentVolumeClaims and Events as the API's JSON dicts, :func:`explain`
lists the problems, most important first, and :func:`failure_message` turns
them into the message of a failed wait.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.stateful.nfs_redis.plugins.module_utils.objects import (
    condition,
    dig,
    is_pod_ready,
    is_terminating,
    name_of,
    pod_claims,
    pod_name,
    pod_revision,
    statefulset_pods,
    time_key,
    uid_of,
)
from ansible_collections.stateful.nfs_redis.plugins.module_utils.rollout import (
    ORDERED_READY,
    ROLLING_UPDATE,
    ordered_blockers,
)

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


def event_targets(sts, pods, evaluation):
    """(kind, name) of the objects whose events explain a stall: the
    StatefulSet, the first stuck pods and their claims."""
    by_ordinal = statefulset_pods(sts, pods)
    targets = [("StatefulSet", name_of(sts))]
    for blocker in ordered_blockers(evaluation)[:MAX_EXPLAINED_PODS]:
        pod = by_ordinal.get(blocker["ordinal"])
        if pod is None:
            continue
        targets.append(("Pod", blocker["pod"]))
        targets.extend(("PersistentVolumeClaim", claim) for claim in pod_claims(pod))
    return targets


def explain(sts, pods, evaluation, pvcs=None, events=None):
    """Explain an unfinished rollout; ``evaluation`` is ``rollout.evaluate(sts, pods)``.

    Returns a list of problems, most important first; each is a dict with
    ordinal, pod, state, summary, details (list), hints (list). A problem
    without pod (ordinal None) concerns the StatefulSet itself.
    """
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


def failure_message(evaluation, problems, elapsed, reason="is not ready"):
    """The message of a failed wait: a summary, then the stuck ordinal first.

    ``evaluation`` is the one ``problems`` were explained from (:func:`explain`).
    """
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
