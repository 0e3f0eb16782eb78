# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a value is a Kubernetes quantity (500Mi, 1Gi, 250m; not 500MB)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: k8s_quantity
short_description: Whether a value is a Kubernetes quantity (500Mi, 1Gi, 250m; not 500MB)
version_added: 0.1.0
author: stateful.nfs_redis maintainers
description:
  - True when the value is a Kubernetes resource quantity that the filter of the same name,
    C(stateful.nfs_redis.k8s_quantity), reads, that is an optionally signed decimal number and one
    optional suffix, C(Ki Mi Gi Ti Pi Ei), C(m k M G T P E) or an exponent C(e3), with a value of at
    most 2^63-1 in magnitude. An integer or a float is one too; a boolean, C(none), a list or a
    mapping is not.
  - Needs the kubernetes Python client on the controller, like the filter.
options:
  _input:
    description: The value to test.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check a size before it goes into a manifest
  ansible.builtin.assert:
    that:
      - redis_storage_size is stateful.nfs_redis.k8s_quantity
      - (redis_storage_size | stateful.nfs_redis.k8s_quantity) > 0
    fail_msg: >-
      redis_storage_size must be a positive Kubernetes quantity such as 500Mi or 1Gi (Mi and Gi are
      powers of 1024; MB and GB are not Kubernetes units); got {{ redis_storage_size | to_json }}.
"""

RETURN = r"""
_value:
  description: Whether the value is a Kubernetes quantity.
  type: bool
"""

from ansible_collections.stateful.nfs_redis.plugins.filter.k8s_quantity import parse


def k8s_quantity(value):
    """True when value is a Kubernetes quantity."""
    return not parse(value)[1]


class TestModule(object):
    """Kubernetes quantity tests."""

    def tests(self):
        return {"k8s_quantity": k8s_quantity}
