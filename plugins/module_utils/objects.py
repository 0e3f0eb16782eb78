# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the API's objects: fields, names, ownership, conditions and times.

Everything here takes the plain JSON dicts the API server returns and answers
one small question about them; ``rollout.py`` and ``diagnose.py`` build on it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timezone

REVISION_LABEL = "controller-revision-hash"


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
    """Parse an RFC 3339 time (metav1.Time or MicroTime) into an aware datetime, or None.

    The API sends ``2025-01-01T00:00:00Z`` and, for MicroTime, six fractional digits.
    ``datetime.fromisoformat`` reads both from Python 3.11 on; before that it takes neither
    ``Z`` nor a fraction of other than 3 or 6 digits, so both are normalised first. A time
    without an offset is taken as UTC.
    """
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    head, dot, tail = text.partition(".")
    if dot:
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = "%s.%s%s" % (head, (tail[:digits] + "000000")[:6], tail[digits:])
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def time_key(value):
    """Sortable float (seconds since epoch) of an RFC 3339 string; missing sorts last."""
    parsed = parse_time(value)
    if parsed is None:
        return float("inf")
    return parsed.timestamp()


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


def pod_name(sts_name, ordinal):
    return "%s-%d" % (sts_name, ordinal)
