# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""role_defaults: the defaults/main.yml of a role of this collection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.stateful.nfs_redis.plugins.filter import role_defaults as plugin
from ansible_collections.stateful.nfs_redis.plugins.filter.role_defaults import FilterModule, role_defaults


def test_reads_the_collections_role_defaults():
    path = os.path.join(plugin.ROLES_DIR, "nfs_provisioner", "defaults", "main.yml")
    with open(path) as f:
        expected = yaml.safe_load(f)
    assert role_defaults("nfs_provisioner") == expected
    # The one place that names the StorageClass (the redis role's claims follow it).
    assert role_defaults("nfs_provisioner")["nfs_provisioner_storage_class_name"] == "nfs-client"


def test_templated_defaults_come_back_as_written():
    assert "{{" in role_defaults("redis")["redis_storage_class"]


def test_a_copy_is_returned():
    role_defaults("nfs_provisioner")["nfs_provisioner_storage_class_name"] = "changed"
    assert role_defaults("nfs_provisioner")["nfs_provisioner_storage_class_name"] == "nfs-client"


@pytest.mark.parametrize("role", ["no_such_role", "../redis", "Redis", "", None, ["redis"]])
def test_unknown_or_malformed_role(role):
    with pytest.raises(AnsibleFilterError):
        role_defaults(role)


def test_filter_module():
    assert FilterModule().filters()["role_defaults"] is role_defaults
