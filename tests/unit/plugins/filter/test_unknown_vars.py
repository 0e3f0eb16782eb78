# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""unknown_vars: misspelt variables of a role's prefix, with the nearest known name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.stateful.nfs_redis.plugins.filter.unknown_vars import FilterModule, unknown_vars

REDIS = {
    "redis_replicas": {"type": "int"},
    "redis_port": {"type": "int"},
    "redis_extra_args": {"type": "list"},
    "redis_image_pull_secrets": {"type": "list"},
    "redis_wait": {"type": "bool"},
    "redis_wait_timeout": {"type": "int"},
}


def test_known_names_pass():
    assert unknown_vars(["redis_replicas", "redis_port"], REDIS, prefix="redis_") == []


def test_misspelt_name_gets_the_nearest_known_name():
    out = unknown_vars(["redis_replica", "redis_port"], REDIS, prefix="redis_", role="redis")
    assert out == [
        {
            "name": "redis_replica",
            "suggestion": "redis_replicas",
            "msg": "redis_replica is not a variable of role stateful.nfs_redis.redis (did you mean redis_replicas?)",
        }
    ]


@pytest.mark.parametrize(
    "name, suggestion",
    [
        ("redis_extra_arg", "redis_extra_args"),
        ("redis_image_pull_secret", "redis_image_pull_secrets"),
        ("redis_wait_timout", "redis_wait_timeout"),
        ("redis_prot", "redis_port"),
    ],
)
def test_suggestions(name, suggestion):
    assert unknown_vars([name], REDIS, prefix="redis_")[0]["suggestion"] == suggestion


def test_unrelated_name_gets_no_suggestion_despite_the_shared_prefix():
    out = unknown_vars(["redis_backup_bucket"], REDIS, prefix="redis_")
    assert out[0]["suggestion"] == ""
    assert out[0]["msg"] == "redis_backup_bucket is not a variable (no known name is close)"


def test_sorted_and_unique():
    out = unknown_vars(["redis_zzz", "redis_aaa", "redis_zzz"], REDIS, prefix="redis_")
    assert [u["name"] for u in out] == ["redis_aaa", "redis_zzz"]


def test_ignore_is_a_full_match_regex():
    defined = ["redis_mine", "redis_backup_x", "redis_backup_y", "redis_minefield"]
    out = unknown_vars(defined, REDIS, prefix="redis_", ignore=["redis_mine", "redis_backup_.*"])
    assert [u["name"] for u in out] == ["redis_minefield"]


def test_known_as_a_list():
    assert unknown_vars(["a_x"], ["a_y", "a_x"]) == []


def test_bad_ignore_regex():
    with pytest.raises(AnsibleFilterError, match="not a regular expression"):
        unknown_vars(["redis_x"], REDIS, ignore=["("])


def test_strings_are_refused():
    with pytest.raises(AnsibleFilterError):
        unknown_vars("redis_x", REDIS)


def test_filter_module():
    assert FilterModule().filters()["unknown_vars"] is unknown_vars
