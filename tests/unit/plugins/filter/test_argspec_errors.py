# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""argspec_errors: values that a role's argument spec lets through but the role would misread."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.stateful.nfs_redis.plugins.filter.argspec_errors import FilterModule, argspec_errors

OPTIONS = {
    "redis_extra_args": {"type": "list", "elements": "str"},
    "redis_tolerations": {"type": "list", "elements": "dict"},
    "redis_resources": {"type": "dict"},
    "redis_wait": {"type": "bool"},
    "redis_replicas": {"type": "int"},
    "redis_name": {"type": "str"},
    "redis_password": {"type": "str", "no_log": True},
    "protocols": {"type": "list", "elements": "int"},
    "flags": {"type": "list", "elements": "bool"},
    "nfs_server_exports": {
        "type": "list",
        "elements": "dict",
        "options": {
            "path": {"type": "str"},
            "clients": {
                "type": "list",
                "elements": "dict",
                "options": {"host": {"type": "str"}, "options": {"type": "list", "elements": "str"}},
            },
            "export_id": {"type": "int"},
        },
    },
    "settings": {"type": "dict", "options": {"enabled": {"type": "bool"}}},
}


def test_valid_values():
    values = {
        "redis_extra_args": ["--appendonly", "yes", 6380],
        "redis_tolerations": [{"key": "a"}],
        "redis_resources": {},
        "redis_wait": "true",
        "redis_replicas": "3",
        "redis_name": ["not checked: str"],
        "protocols": [3, "4"],
        "flags": [True, "no"],
        "nfs_server_exports": [{"path": "/x", "clients": [{"host": "h", "options": ["rw"]}], "export_id": 2}],
        "settings": {"enabled": "on"},
        "not_an_option": "ignored",
    }
    assert argspec_errors(values, OPTIONS) == []


@pytest.mark.parametrize("value", [True, False, "true", "False", "YES", "no", "on", "Off", "1", "0", 1, 0, " true "])
def test_booleans_the_bool_filter_reads(value):
    assert argspec_errors({"redis_wait": value}, OPTIONS) == []


@pytest.mark.parametrize("value", ["y", "t", "n", "f", "maybe", 2, 1.0, [], {}])
def test_booleans_the_bool_filter_misreads(value):
    (msg,) = argspec_errors({"redis_wait": value}, OPTIONS)
    assert msg.startswith("redis_wait must be true or false")
    assert "-e redis_wait=true" in msg


def test_string_for_a_list_of_strings():
    (msg,) = argspec_errors({"redis_extra_args": "--foo"}, OPTIONS)
    assert msg == (
        "redis_extra_args must be a list of strings; got the string \"--foo\". "
        "On the command line give a list as JSON: -e '{\"redis_extra_args\": [\"--foo\"]}'."
    )


def test_comma_string_hint_splits():
    (msg,) = argspec_errors({"redis_extra_args": "a, b"}, OPTIONS)
    assert "[\"a\", \"b\"]" in msg


def test_number_for_a_list():
    (msg,) = argspec_errors({"redis_extra_args": 5}, OPTIONS)
    assert "got 5 (int)" in msg and "[5]" in msg


def test_string_for_a_list_of_mappings_has_no_json_hint():
    (msg,) = argspec_errors({"redis_tolerations": "key=a"}, OPTIONS)
    assert msg == 'redis_tolerations must be a list of mappings such as [{key: value}]; got the string "key=a".'


def test_mapping_for_a_list():
    (msg,) = argspec_errors({"redis_extra_args": {"a": 1}}, OPTIONS)
    assert "must be a list" in msg


@pytest.mark.parametrize("name", ["redis_extra_args", "redis_resources", "redis_wait", "redis_replicas"])
def test_null_at_the_top(name):
    (msg,) = argspec_errors({name: None}, OPTIONS)
    assert msg.startswith(name + " must be") and "null" in msg


def test_elements():
    out = argspec_errors(
        {
            "redis_extra_args": ["--appendonly", True, {"a": 1}, None],
            "redis_tolerations": ["key=a"],
            "protocols": [3, "four"],
            "flags": ["y"],
        },
        OPTIONS,
    )
    assert out == [
        "flags[0] must be true or false; got the string \"y\".",
        "protocols[1] must be a whole number; got the string \"four\".",
        "redis_extra_args[1] must be a string; got true (bool) (quote yes, no, true, false, on and off, "
        "else YAML makes a boolean of them).",
        "redis_extra_args[2] must be a string; got {\"a\": 1} (dict) (quote yes, no, true, false, on and off, "
        "else YAML makes a boolean of them).",
        "redis_extra_args[3] must be a string; got null (an empty value, such as -e NAME= or a YAML key without "
        "a value) (quote yes, no, true, false, on and off, else YAML makes a boolean of them).",
        "redis_tolerations[0] must be a mapping; got the string \"key=a\".",
    ]


def test_suboptions():
    values = {
        "nfs_server_exports": [
            {"path": "/a", "clients": [{"host": "h", "options": "rw,sync"}]},
            {"path": "/b", "clients": "h1", "export_id": "x"},
            {"path": "/c", "clients": None},
            "just a string",
        ],
        "settings": {"enabled": "y"},
    }
    assert argspec_errors(values, OPTIONS) == [
        'nfs_server_exports[0].clients[0].options must be a list of strings; got the string "rw,sync".',
        'nfs_server_exports[1].clients must be a list of mappings such as [{key: value}]; got the string "h1".',
        'nfs_server_exports[1].export_id must be a whole number such as 3; got the string "x".',
        'nfs_server_exports[3] must be a mapping; got the string "just a string".',
        'settings.enabled must be true or false (also accepted: yes/no, on/off, 1/0, in any case, and from the '
        'command line as -e settings.enabled=true); got the string "y".',
    ]


@pytest.mark.parametrize("value", [3, "3", " 3 ", "-1", 2.0])
def test_whole_numbers(value):
    assert argspec_errors({"redis_replicas": value}, OPTIONS) == []


@pytest.mark.parametrize("value", [True, "two", "2.5", 2.5, []])
def test_not_whole_numbers(value):
    (msg,) = argspec_errors({"redis_replicas": value}, OPTIONS)
    assert msg.startswith("redis_replicas must be a whole number")


def test_string_for_a_mapping():
    (msg,) = argspec_errors({"redis_resources": "limits=1"}, OPTIONS)
    assert msg.startswith("redis_resources must be a mapping") and "-e '{\"redis_resources\": {...}}'" in msg


def test_no_log_options_are_not_shown():
    assert argspec_errors({"redis_password": ["secret"]}, OPTIONS) == []


def test_long_values_are_cut():
    (msg,) = argspec_errors({"redis_extra_args": "x" * 500}, OPTIONS)
    assert "..." in msg and len(msg) < 800


def test_bad_input():
    with pytest.raises(AnsibleFilterError):
        argspec_errors(["redis_wait"], OPTIONS)


def test_filter_module():
    assert FilterModule().filters()["argspec_errors"] is argspec_errors
