# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.stateful.nfs_redis.plugins.filter.nfs_export import nfs_export

HOSTVARS = {
    "nfs01": {"ansible_host": "192.0.2.9", "nfs_server_exports": [{"path": "/data/nfs"}, {"path": "/data/b"}]},
    "nfs02": {"nfs_server_address": "nfs.example.com", "ansible_host": "192.0.2.10",
              "nfs_server_exports": [{"path": "/srv/k8s"}]},
    "bare": {},
}
GROUPS = {"nfs_server": ["nfs01", "nfs02"], "empty": []}


def test_first_host_of_the_group_its_ansible_host_and_first_export():
    got = nfs_export(HOSTVARS, GROUPS)
    assert got == {"host": "nfs01", "server": "192.0.2.9", "path": "/data/nfs",
                   "server_from": "ansible_host of inventory host nfs01", "error": ""}


def test_nfs_server_address_wins_over_ansible_host():
    got = nfs_export(HOSTVARS, GROUPS, host="nfs02")
    assert (got["server"], got["path"], got["error"]) == ("nfs.example.com", "/srv/k8s", "")
    assert got["server_from"] == "nfs_server_address of inventory host nfs02"


def test_inventory_name_is_the_last_resort_and_no_export_is_an_error():
    got = nfs_export(HOSTVARS, {"nfs_server": ["bare"]})
    assert got["server"] == "bare"
    assert got["path"] == ""
    assert got["error"] == "no NFS server export path: host bare has no nfs_server_exports[0].path"


def test_explicit_values_win():
    got = nfs_export(HOSTVARS, GROUPS, server=" 198.51.100.7 ", path="/x")
    assert (got["host"], got["server"], got["path"], got["server_from"]) == ("nfs01", "198.51.100.7", "/x", "given explicitly")


def test_explicit_values_without_any_server_host():
    got = nfs_export(HOSTVARS, GROUPS, group="empty", server="198.51.100.7", path="/x")
    assert (got["host"], got["error"]) == ("", "")


def test_empty_group_is_an_error_naming_the_group():
    got = nfs_export(HOSTVARS, GROUPS, group="empty")
    assert got["error"] == "no NFS server address or export path: inventory group empty has no host"


def test_missing_group_is_like_an_empty_one():
    assert nfs_export(HOSTVARS, GROUPS, group="nope")["error"].endswith("inventory group nope has no host")


def test_unknown_host_is_an_error():
    got = nfs_export(HOSTVARS, GROUPS, host="typo")
    assert got["error"].startswith("typo is not a host of the inventory")


def test_groups_must_be_passed():
    with pytest.raises(AnsibleFilterError):
        nfs_export(HOSTVARS, "nfs_server")


class _Lazy(dict):
    """Like Ansible's hostvars of another host: a value is templated when read, and may raise."""

    def get(self, key, default=None):
        if key == "nfs_server_address":
            raise KeyError("'dict object' has no attribute 'default_ipv4'")
        return super().get(key, default)


def test_an_address_that_cannot_be_evaluated_here_counts_as_unset_and_is_named():
    hostvars = {"nfs01": _Lazy(ansible_host="fs-nfs-server", nfs_server_exports=[{"path": "/data/nfs"}])}
    got = nfs_export(hostvars, {"nfs_server": ["nfs01"]})
    assert (got["server"], got["path"], got["error"]) == ("fs-nfs-server", "/data/nfs", "")
    assert got["server_from"].startswith("ansible_host of inventory host nfs01 (nfs_server_address cannot be evaluated")


def test_an_undefined_marker_counts_as_unset():
    # ansible-core 2.19 returns an undefined marker for another host's variable that cannot be templated.
    from jinja2 import Undefined
    hostvars = {"nfs01": {"nfs_server_address": Undefined(name="default_ipv4"), "nfs_server_exports": [{"path": "/p"}]}}
    got = nfs_export(hostvars, {"nfs_server": ["nfs01"]})
    assert (got["server"], got["error"]) == ("nfs01", "")
    assert "nfs_server_address cannot be evaluated in this play" in got["server_from"]
