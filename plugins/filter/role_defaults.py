# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The defaults of a role of this collection, as written in its defaults/main.yml."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: role_defaults
short_description: The defaults of another role of this collection
version_added: 0.1.0
author: stateful.nfs_redis maintainers
description:
  - Returns the variables of C(roles/NAME/defaults/main.yml) of this collection (the copy next to this
    plugin, wherever the collection is installed), as written there - a templated default comes back as
    its template text.
  - A role's defaults are not visible in a play that does not run that role. A role whose default
    follows another role's (the redis role's C(redis_storage_class) follows the nfs_provisioner
    role's C(nfs_provisioner_storage_class_name)) reads it with this filter, so that the value is
    written once, in the role that owns it.
options:
  _input:
    description: The name of the role, such as C(nfs_provisioner).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The provisioner's StorageClass, where it is not set for this host
  ansible.builtin.debug:
    msg: "{{ nfs_provisioner_storage_class_name | default(('nfs_provisioner' | stateful.nfs_redis.role_defaults).nfs_provisioner_storage_class_name) }}"
"""

RETURN = r"""
_value:
  description: Variable name to value, from the role's C(defaults/main.yml).
  type: dict
"""

import os
import re
from collections.abc import Mapping

import yaml

from ansible.errors import AnsibleFilterError

ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CACHE = {}


def role_defaults(role):
    """Return the mapping of roles/<role>/defaults/main.yml of this collection."""
    if not isinstance(role, str) or not _ROLE_NAME.match(role):
        raise AnsibleFilterError("role_defaults: give the name of a role of this collection, such as nfs_provisioner; got %r" % (role,))
    path = os.path.join(ROLES_DIR, role, "defaults", "main.yml")
    if path not in _CACHE:
        try:
            with open(path, "rb") as f:
                data = yaml.safe_load(f)
        except (IOError, OSError) as e:
            raise AnsibleFilterError("role_defaults: role %s of stateful.nfs_redis has no readable defaults (%s): %s" % (role, path, e))
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise AnsibleFilterError("role_defaults: %s is not a mapping of variables" % path)
        _CACHE[path] = dict(data)
    return dict(_CACHE[path])


class FilterModule(object):
    """Role defaults filter."""

    def filters(self):
        return {"role_defaults": role_defaults}
