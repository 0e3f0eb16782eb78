# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""k8s_format_errors: values that are not in the Kubernetes format their variable needs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.stateful.nfs_redis.plugins.filter.k8s_format_errors import FilterModule, k8s_format_errors


def errors(fmt, value):
    return k8s_format_errors({"v": value}, {"v": fmt})


@pytest.mark.parametrize(
    "fmt, value",
    [
        ("dns_label", "redis-sts"),
        ("dns_label", "a"),
        ("dns_label", "0abc9"),
        ("dns_label", "a" * 63),
        ({"format": "dns_label", "max_length": 52}, "r" * 52),
        ("dns_1035_label", "redis-svc"),
        ("dns_subdomain", "nfs-client"),
        ("dns_subdomain", "fast.nfs-client.example"),
        ("dns_subdomain", "a" * 63 + "." + "b" * 63),
        ({"format": "dns_subdomain", "allow_empty": True}, ""),
        ({"format": "dns_subdomain", "each": True}, []),
        ({"format": "dns_subdomain", "each": True}, ["regcred", "other.secret"]),
        ("image", "redis:6.2"),
        ("image", "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2"),
        ("image", "redis@sha256:0123abcd"),
        ("quantity", "500Mi"),
        ("quantity", "1Gi"),
        ("quantity", "250m"),
        ("quantity", "0.5Gi"),
        ("quantity", "2"),
        ("quantity", 2),
        ("quantity", 1.5),
        ("resources", {}),
        ("resources", {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}),
        ("resources", {"limits": {"cpu": 1}}),
        ("string_map", {}),
        ("string_map", {"disk": "ssd", "gpu": "true"}),
        ("non_negative_int", 0),
        ("non_negative_int", "3"),
        ("positive_int", 1),
        ("positive_int", "300"),
        ("positive_int", 300.0),
        ("port", 6379),
        ("port", "1"),
        ("port", 65535),
    ],
)
def test_valid(fmt, value):
    assert errors(fmt, value) == []


@pytest.mark.parametrize(
    "fmt, value",
    [
        ("dns_label", "Redis_STS"),
        ("dns_label", "-bad"),
        ("dns_label", "bad-"),
        ("dns_label", ""),
        ("dns_label", "a.b"),
        ("dns_label", "a" * 64),
        ("dns_label", 5),
        ({"format": "dns_label", "max_length": 52}, "r" * 53),
        ("dns_1035_label", "1redis"),
        ("dns_subdomain", "NFS_Client"),
        ("dns_subdomain", "a..b"),
        ("dns_subdomain", "a" * 254),
        ("dns_subdomain", ""),
        ("image", ""),
        ("image", "redis 6.2"),
        ("image", "-redis"),
        ("image", None),
        ("quantity", "500MB"),
        ("quantity", "1 Gi"),
        ("quantity", "-1Gi"),
        ("quantity", ""),
        ("quantity", True),
        ("resources", {"limits": {"memory": "1GB"}}),
        ("resources", {"request": {"cpu": "1"}}),
        ("resources", {"limits": "1Gi"}),
        ("resources", []),
        ("string_map", {"gpu": True}),
        ("string_map", ["disk=ssd"]),
        ("non_negative_int", -1),
        ("non_negative_int", "two"),
        ("non_negative_int", 2.5),
        ("non_negative_int", True),
        ("positive_int", 0),
        ("positive_int", -5),
        ("positive_int", "abc"),
        ("port", 0),
        ("port", 70000),
        ("port", "http"),
    ],
)
def test_invalid(fmt, value):
    out = errors(fmt, value)
    assert len(out) == 1
    assert out[0].startswith("v must be ")


def test_message_names_the_variable_the_form_the_reason_and_the_value():
    out = k8s_format_errors(
        {"redis_name": "Redis_STS"},
        {"redis_name": {"format": "dns_label", "max_length": 52, "why": "pods are named <name>-<ordinal>", "example": "redis-sts"}},
    )
    assert out == [
        "redis_name must be a DNS-1123 label (lower case letters, digits and '-', starting and ending with a letter or digit, "
        "at most 52 characters) (pods are named <name>-<ordinal>), e.g. redis-sts; got \"Redis_STS\"."
    ]


def test_quantity_message():
    out = k8s_format_errors({"redis_storage_size": "500MB"}, {"redis_storage_size": "quantity"})
    assert out == [
        "redis_storage_size must be a Kubernetes quantity such as 250m, 500Mi or 1Gi (Mi and Gi are powers of two; "
        "MB and GB are not Kubernetes units); got \"500MB\"."
    ]


def test_each_names_the_item():
    out = k8s_format_errors({"pull": ["ok", "Not_OK"]}, {"pull": {"format": "dns_subdomain", "each": True}})
    assert len(out) == 1
    assert out[0].startswith("pull[1] must be a DNS-1123 subdomain")
    assert k8s_format_errors({"pull": "regcred"}, {"pull": {"format": "dns_subdomain", "each": True}}) == [
        'pull must be a list; got "regcred".'
    ]


def test_allow_empty():
    spec = {"s": {"format": "dns_subdomain", "allow_empty": True}}
    assert k8s_format_errors({"s": ""}, spec) == []
    assert k8s_format_errors({"s": "Bad_Name"}, spec)[0].endswith('or empty; got "Bad_Name".')


def test_every_failing_value_is_named_in_order_and_names_without_value_are_ignored():
    out = k8s_format_errors(
        {"b_port": 0, "a_image": "", "c_ok": "fine", "extra": "not checked"},
        {"a_image": "image", "b_port": "port", "c_ok": "dns_label", "d_undefined": "quantity"},
    )
    assert [m.split(" ")[0] for m in out] == ["a_image", "b_port"]


def test_long_values_are_shortened():
    out = errors("dns_label", "X" * 500)
    assert len(out[0]) < 450
    assert out[0].endswith('...".') or out[0].endswith("....")


@pytest.mark.parametrize(
    "values, formats",
    [
        ("not a mapping", {}),
        ({}, ["not", "a", "mapping"]),
        ({"v": "x"}, {"v": "no_such_format"}),
        ({"v": "x"}, {"v": {"max_length": 3}}),
        ({"v": "x"}, {"v": {"format": "dns_label", "maxlen": 3}}),
    ],
)
def test_bad_arguments(values, formats):
    with pytest.raises(AnsibleFilterError):
        k8s_format_errors(values, formats)


def test_filter_module():
    assert FilterModule().filters()["k8s_format_errors"] is k8s_format_errors
