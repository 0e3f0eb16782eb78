# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_available: the real plugin loader resolves installed modules, and only those."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.stateful.nfs_redis.plugins.test.module_available import TestModule

module_available = TestModule().tests()["module_available"]


@pytest.mark.parametrize("name", ["ansible.builtin.copy", "stateful.nfs_redis.statefulset_ready", "copy"])
def test_installed_modules_are_available(name):
    assert module_available(name) is True


@pytest.mark.parametrize(
    "name",
    ["stateful.nfs_redis.no_such_module", "community.no_such_collection.ufw", "", None, 3, ["ansible.builtin.copy"]],
)
def test_missing_modules_and_non_names_are_not(name):
    assert module_available(name) is False
