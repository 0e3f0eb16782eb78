# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""k8s_quantity: the filter (value or a clear error) and the test (is it a quantity?)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

pytest.importorskip("kubernetes")

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.stateful.nfs_redis.plugins.filter import k8s_quantity as quantity_filter  # noqa: E402
from ansible_collections.stateful.nfs_redis.plugins.filter.k8s_quantity import (  # noqa: E402
    FilterModule,
    k8s_quantity,
)
from ansible_collections.stateful.nfs_redis.plugins.test.k8s_quantity import TestModule as QuantityTests  # noqa: E402

is_quantity = QuantityTests().tests()["k8s_quantity"]


@pytest.mark.parametrize("value, expected", [
    ("1Gi", 1073741824),
    ("0.5Gi", 536870912),
    ("512Mi", 536870912),
    ("1Ki", 1024),
    ("1Ei", 2 ** 60),
    ("1k", 1000),
    ("1M", 10 ** 6),
    ("1E", 10 ** 18),
    ("250m", 0.25),
    ("100m", 0.1),
    ("1.5", 1.5),
    (".5", 0.5),
    ("5.", 5),
    ("+1", 1),
    ("-1Gi", -1073741824),
    ("1e3", 1000),
    ("1E3", 1000),
    ("15e-1", 1.5),
    ("0", 0),
    (1073741824, 1073741824),
    (0.5, 0.5),
    (1e18, 10 ** 18),
])
def test_values(value, expected):
    result = k8s_quantity(value)
    assert result == expected
    assert type(result) is type(expected)
    assert is_quantity(value) is True


def test_whole_values_are_exact_integers():
    # a float would lose the last digits: 2^63 - 1 is not a float
    assert k8s_quantity(str(2 ** 63 - 1)) == 2 ** 63 - 1
    assert k8s_quantity("7Ei") == 7 * 2 ** 60


@pytest.mark.parametrize("value", [
    "500MB", "1GB", "1gi", "1ki", "1mi", "1 Gi", " 1Gi", "1Gi ", "1_000", "NaN", "inf", "-Infinity",
    "1e3Mi", "1E3M", "1e", "Gi", "", ".", "1.2.3", "0x10", "1,5", "\u0661",
])
def test_not_quantities(value):
    assert is_quantity(value) is False
    with pytest.raises(AnsibleFilterError) as info:
        k8s_quantity(value)
    assert str(info.value) == (
        'k8s_quantity: "%s" is not a Kubernetes quantity: a number with one optional suffix: Ki, Mi, '
        "Gi, Ti, Pi, Ei (powers of 1024), m, k, M, G, T, P, E (powers of 1000) or an exponent such as "
        "e3; for example 500Mi, 1Gi, 250m, 1.5 (not 500MB: MB is not a Kubernetes unit)" % value
    )


@pytest.mark.parametrize("value, kind", [(True, "bool"), (None, "NoneType"), (["1Gi"], "list"),
                                         ({"a": 1}, "dict")])
def test_other_types(value, kind):
    assert is_quantity(value) is False
    with pytest.raises(AnsibleFilterError) as info:
        k8s_quantity(value)
    assert str(info.value).startswith("k8s_quantity: %r is a %s, not a Kubernetes quantity (a number" % (value, kind))


@pytest.mark.parametrize("value", ["8Ei", "-9Ei", "1e19", "1e999999999", float("inf")])
def test_beyond_what_kubernetes_represents(value):
    assert is_quantity(value) is False
    with pytest.raises(AnsibleFilterError, match=r"its value exceeds 2\^63-1|not a Kubernetes quantity"):
        k8s_quantity(value)


def test_limit_message():
    with pytest.raises(AnsibleFilterError) as info:
        k8s_quantity("9Ei")
    assert str(info.value) == 'k8s_quantity: "9Ei" is not a Kubernetes quantity: its value exceeds 2^63-1'


def test_without_the_kubernetes_client(monkeypatch):
    monkeypatch.setattr(quantity_filter, "parse_quantity", None)
    monkeypatch.setattr(quantity_filter, "KUBERNETES_IMPORT_ERROR", ImportError("No module named 'kubernetes'"))
    for call in (k8s_quantity, is_quantity):
        with pytest.raises(AnsibleFilterError) as info:
            call("1Gi")
        assert str(info.value) == (
            "k8s_quantity needs the kubernetes Python client on the controller: No module named 'kubernetes'")


def test_plugin_names():
    assert FilterModule().filters() == {"k8s_quantity": k8s_quantity}
    assert list(QuantityTests().tests()) == ["k8s_quantity"]
