# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fields Kubernetes does not let you update in place, compared between an existing object
(as the API server returns it: defaults filled in, quantities normalised) and a rendered one.

``changes(have, want)`` returns a list of ``{"field", "have", "want"}``, one per field that
differs, for the kinds below; any other kind has none. Pure: plain dicts in, plain data out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stateful.nfs_redis.plugins.module_utils.quantity import value


def quantity(text):
    """The number a Kubernetes quantity stands for (a Decimal), or None when it is not one."""
    return value(str(text).strip())


def _same_quantity(a, b):
    qa, qb = quantity(a), quantity(b)
    if qa is None or qb is None:
        return str(a) == str(b)
    return qa == qb


def _spec(obj):
    return (obj or {}).get("spec") or {}


def _claim_templates(spec):
    out = []
    for t in spec.get("volumeClaimTemplates") or []:
        tspec = t.get("spec") or {}
        out.append({
            "name": (t.get("metadata") or {}).get("name", ""),
            "storageClassName": tspec.get("storageClassName") or "",
            "accessModes": sorted(tspec.get("accessModes") or []),
            "storage": str(((tspec.get("resources") or {}).get("requests") or {}).get("storage", "0")),
        })
    return out


def statefulset_changes(have, want):
    hs, ws = _spec(have), _spec(want)
    out = []
    for field, get in (
        ("serviceName", lambda s: s.get("serviceName") or ""),
        ("podManagementPolicy", lambda s: s.get("podManagementPolicy") or "OrderedReady"),
        ("selector", lambda s: (s.get("selector") or {}).get("matchLabels") or {}),
    ):
        if get(hs) != get(ws):
            out.append({"field": field, "have": get(hs), "want": get(ws)})
    hv, wv = _claim_templates(hs), _claim_templates(ws)
    same = len(hv) == len(wv) and all(
        h["name"] == w["name"] and h["storageClassName"] == w["storageClassName"]
        and h["accessModes"] == w["accessModes"] and _same_quantity(h["storage"], w["storage"])
        for h, w in zip(hv, wv)
    )
    if not same:
        out.append({"field": "volumeClaimTemplates", "have": hv, "want": wv})
    return out


def service_changes(have, want):
    """clusterIP (None for a headless Service), compared only when the rendered Service sets it."""
    wanted = _spec(want).get("clusterIP")
    if wanted is None:
        return []
    current = _spec(have).get("clusterIP", wanted)
    return [] if current == wanted else [{"field": "clusterIP", "have": current, "want": wanted}]


def storageclass_changes(have, want):
    out = []
    for field, default in (("provisioner", ""), ("parameters", {}), ("reclaimPolicy", "Delete"),
                           ("volumeBindingMode", "Immediate")):
        h = (have or {}).get(field) or default
        w = (want or {}).get(field) or default
        if h != w:
            out.append({"field": field, "have": h, "want": w})
    return out


_BY_KIND = {
    "StatefulSet": statefulset_changes,
    "Service": service_changes,
    "StorageClass": storageclass_changes,
}


def changes(have, want):
    """The immutable fields of ``want``'s kind that differ between ``have`` and ``want``."""
    compare = _BY_KIND.get((want or {}).get("kind"))
    return compare(have, want) if compare else []
