# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fields Kubernetes does not let you update that differ between two objects."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: k8s_immutable_changes
short_description: The fields Kubernetes does not let you update that differ between two objects
version_added: 0.2.0
author: stateful.nfs_redis maintainers
description:
  - Compares an existing object (the input, as the API server returns it) with the rendered one
    (O(want)) on the fields Kubernetes does not let you update in place, and returns one
    mapping of C(field), C(have) and C(want) per field that differs.
  - StatefulSet C(serviceName), C(podManagementPolicy), C(selector.matchLabels) and
    C(volumeClaimTemplates) (name, class, access modes, storage size by value, C(0.5Gi) equals
    C(512Mi)); Service C(clusterIP) when the rendered Service sets it; StorageClass
    C(provisioner), C(parameters), C(reclaimPolicy), C(volumeBindingMode). Server-side defaults
    count as the default value. Any other kind has no such fields here.
options:
  _input:
    description: The existing object.
    type: dict
    required: true
  want:
    description: The rendered object (its C(kind) selects the fields).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Fields that would need the StatefulSet recreated
  ansible.builtin.debug:
    msg: "{{ existing | stateful.nfs_redis.k8s_immutable_changes(rendered) | map(attribute='field') | list }}"
"""

RETURN = r"""
_value:
  description: One entry per differing field.
  type: list
  elements: dict
"""

from ansible_collections.stateful.nfs_redis.plugins.module_utils.immutable import changes


def k8s_immutable_changes(have, want):
    return changes(have, want)


class FilterModule(object):
    """Immutable-field comparison."""

    def filters(self):
        return {"k8s_immutable_changes": k8s_immutable_changes}
