# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading API objects: fields, names, ownership, conditions, times."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.stateful.nfs_redis.plugins.module_utils import objects
from ansible_collections.stateful.nfs_redis.plugins.module_utils.objects import (
    label_selector_string,
    parse_time,
    pod_ordinal,
    time_key,
)
from ansible_collections.stateful.nfs_redis.tests.unit.plugins.module_utils.k8s_fakes import (
    make_pod,
    make_sts,
)


@pytest.mark.parametrize("value, expected", [
    ("2025-01-01T00:00:05Z", 1735689605.0),  # metav1.Time
    ("2025-01-01T00:00:05.250000Z", 1735689605.25),  # metav1.MicroTime
    ("2025-01-01T00:00:05.25Z", 1735689605.25),
    ("2025-01-01T00:00:05.123456789Z", 1735689605.123456),
    ("2025-01-01T00:00:05z", 1735689605.0),
    (" 2025-01-01 00:00:05 ", 1735689605.0),  # no offset: UTC
    ("2025-01-01T01:00:05+01:00", 1735689605.0),
    ("2025-01-01T00:00:05.5-00:30", 1735691405.5),
])
def test_time_parsing(value, expected):
    assert time_key(value) == expected
    assert parse_time(value).utcoffset() is not None


@pytest.mark.parametrize("value", [None, "", "yesterday", "2025-13-01T00:00:00Z",
                                   "2025-01-01T00:00:05.Z5", 5])
def test_bad_times(value):
    assert parse_time(value) is None
    assert time_key(value) == float("inf")


def test_label_selector_string():
    selector = {
        "matchLabels": {"b": "2", "a": "1"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["db", "cache"]},
            {"key": "env", "operator": "NotIn", "values": ["dev"]},
            {"key": "x", "operator": "Exists"},
            {"key": "y", "operator": "DoesNotExist"},
            {"key": "z", "operator": "Bogus"},
        ],
    }
    assert label_selector_string(selector) == "a=1,b=2,tier in (db,cache),env notin (dev),x,!y"
    assert label_selector_string(selector, match_labels_only=True) == "a=1,b=2"
    assert label_selector_string(None) == ""


@pytest.mark.parametrize("name, expected", [
    ("redis-0", 0), ("redis-12", 12), ("redis-01", None), ("redis-x", None),
    ("redis", None), ("other-1", None), (None, None), ("redis-cache-1", None),
])
def test_pod_ordinal(name, expected):
    assert pod_ordinal("redis", name) == expected


def test_ownership_and_readiness_helpers():
    sts = make_sts()
    assert objects.owned_by(make_pod(0), sts)
    assert not objects.owned_by(make_pod(0, owner_uid="x"), sts)
    assert objects.owned_by(make_pod(0, owner_uid=None), sts)
    assert not objects.is_pod_ready(None)
    assert not objects.is_pod_ready(make_pod(0, ready=True, phase="Succeeded"))
    assert not objects.is_pod_ready(make_pod(0, ready=True, deleting=5))
    assert objects.dig({"a": [1]}, "a", "b", default="d") == "d"
