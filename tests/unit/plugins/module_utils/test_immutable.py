# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Immutable fields compared as the API server stores them: server-side defaults and normalised
quantities are no change; what Kubernetes refuses to update is, field by field."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from decimal import Decimal

import pytest

from ansible_collections.stateful.nfs_redis.plugins.module_utils.immutable import changes, quantity


def sts(spec):
    return {"kind": "StatefulSet", "spec": spec}


def claim(size, cls="nfs-client", modes=("ReadWriteMany",), name="redis-pvc", **extra):
    t = {"metadata": {"name": name},
         "spec": {"storageClassName": cls, "accessModes": list(modes), "resources": {"requests": {"storage": size}}}}
    t.update(extra)
    return t


WANT = sts({"serviceName": "redis-svc", "podManagementPolicy": "OrderedReady",
            "selector": {"matchLabels": {"app": "redis-sts"}}, "volumeClaimTemplates": [claim("0.5Gi")]})


def fields(have, want=None):
    return [c["field"] for c in changes(have, WANT if want is None else want)]


def test_statefulset_as_the_api_server_returns_it_is_no_change():
    have = sts({"serviceName": "redis-svc", "podManagementPolicy": "OrderedReady", "revisionHistoryLimit": 10,
                "selector": {"matchLabels": {"app": "redis-sts"}},
                "volumeClaimTemplates": [claim("512Mi", apiVersion="v1", kind="PersistentVolumeClaim",
                                               status={"phase": "Pending"})]})
    have["spec"]["volumeClaimTemplates"][0]["spec"]["volumeMode"] = "Filesystem"
    assert fields(have) == []


def test_statefulset_without_policy_means_ordered_ready():
    have = sts({"serviceName": "redis-svc", "selector": {"matchLabels": {"app": "redis-sts"}},
                "volumeClaimTemplates": [claim("0.5Gi")]})
    assert fields(have) == []


def test_statefulset_bigger_claims():
    have = sts(dict(WANT["spec"], volumeClaimTemplates=[claim("1Gi")]))
    result = changes(have, WANT)
    assert [c["field"] for c in result] == ["volumeClaimTemplates"]
    assert result[0]["have"][0]["storage"] == "1Gi" and result[0]["want"][0]["storage"] == "0.5Gi"


def test_statefulset_of_the_tutorial_differs_in_three_fields():
    have = sts({"serviceName": "redis", "podManagementPolicy": "Parallel", "selector": {"matchLabels": {"app": "redis-sts"}},
                "volumeClaimTemplates": [claim("512Mi", cls="other", modes=("ReadWriteOnce",))]})
    result = changes(have, WANT)
    assert [c["field"] for c in result] == ["serviceName", "podManagementPolicy", "volumeClaimTemplates"]
    assert result[1] == {"field": "podManagementPolicy", "have": "Parallel", "want": "OrderedReady"}


def test_statefulset_selector_and_claim_count():
    have = sts(dict(WANT["spec"], selector={"matchLabels": {"app": "other"}}, volumeClaimTemplates=[]))
    assert fields(have) == ["selector", "volumeClaimTemplates"]


def test_access_modes_compare_as_sets():
    want = sts(dict(WANT["spec"], volumeClaimTemplates=[claim("1Gi", modes=("ReadWriteOnce", "ReadWriteMany"))]))
    have = sts(dict(WANT["spec"], volumeClaimTemplates=[claim("1Gi", modes=("ReadWriteMany", "ReadWriteOnce"))]))
    assert fields(have, want) == []


SC_WANT = {"kind": "StorageClass", "provisioner": "k8s-sigs.io/nfs-subdir-external-provisioner",
           "parameters": {"archiveOnDelete": "false"}, "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate",
           "allowVolumeExpansion": False}


@pytest.mark.parametrize("have, expected", [
    ({"provisioner": "k8s-sigs.io/nfs-subdir-external-provisioner", "parameters": {"archiveOnDelete": "false"}}, []),
    (dict(SC_WANT, allowVolumeExpansion=True, metadata={"labels": {"x": "y"}}), []),
    (dict(SC_WANT, parameters={"archiveOnDelete": "true"}), ["parameters"]),
    ({"provisioner": "example.com/nfs", "parameters": {}, "reclaimPolicy": "Retain", "volumeBindingMode": "WaitForFirstConsumer"},
     ["provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"]),
])
def test_storageclass(have, expected):
    assert fields(have, SC_WANT) == expected


HEADLESS = {"kind": "Service", "spec": {"clusterIP": "None", "ports": [{"port": 6379}]}}
CLIENT = {"kind": "Service", "spec": {"ports": [{"port": 6379}]}}


@pytest.mark.parametrize("have, want, expected", [
    ({"spec": {"clusterIP": "None", "clusterIPs": ["None"]}}, HEADLESS, []),
    ({"spec": {"clusterIP": "10.0.0.7"}}, HEADLESS, [{"field": "clusterIP", "have": "10.0.0.7", "want": "None"}]),
    ({"spec": {"clusterIP": "10.0.0.8"}}, CLIENT, []),
    ({}, HEADLESS, []),
])
def test_service(have, want, expected):
    assert changes(have, want) == expected


def test_other_kinds_have_no_immutable_fields_here():
    assert changes({"data": {"a": "1"}}, {"kind": "ConfigMap", "data": {"a": "2"}}) == []
    assert changes({}, {}) == []


@pytest.mark.parametrize("text, value", [
    ("0.5Gi", Decimal(536870912)), ("512Mi", Decimal(536870912)), ("1G", Decimal(10) ** 9), ("250m", Decimal("0.25")),
    ("1e3", Decimal(1000)), (".5", Decimal("0.5")), (3, Decimal(3)),
])
def test_quantity(text, value):
    assert quantity(text) == value


@pytest.mark.parametrize("text", ["500MB", "", "1 Gi", "Gi"])
def test_not_a_quantity(text):
    assert quantity(text) is None


def test_unparseable_sizes_compare_as_text():
    have = sts(dict(WANT["spec"], volumeClaimTemplates=[claim("big")]))
    assert fields(have) == ["volumeClaimTemplates"]
    want = sts(dict(WANT["spec"], volumeClaimTemplates=[claim("big")]))
    assert fields(have, want) == []
