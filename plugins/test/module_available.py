# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a module (by its fully qualified name) is installed on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: module_available
short_description: Whether a module is installed on the controller
version_added: 0.2.0
author: stateful.nfs_redis maintainers
description:
  - True when Ansible resolves the fully qualified module name, for example
    C(community.general.ufw), to an installed module (redirects followed); false when its
    collection is not installed or has no such module.
  - Lets a role refuse, before it changes anything, an option that needs a collection the
    collection does not depend on (C(nfs_server_firewall=ufw) needs community.general).
options:
  _input:
    description: The fully qualified module name.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse ufw without community.general
  ansible.builtin.assert:
    that:
      - "'community.general.ufw' is stateful.nfs_redis.module_available"
    fail_msg: nfs_server_firewall=ufw needs the collection community.general.
  when: nfs_server_firewall == 'ufw'
"""

RETURN = r"""
_value:
  description: Whether the module is installed.
  type: bool
"""

from ansible.module_utils.six import string_types
from ansible.plugins.loader import module_loader


def module_available(name):
    """True when name resolves to an installed module."""
    if not isinstance(name, string_types) or not name:
        return False
    return bool(module_loader.find_plugin_with_context(name).resolved)


class TestModule(object):
    """Module availability tests."""

    def tests(self):
        return {"module_available": module_available}
