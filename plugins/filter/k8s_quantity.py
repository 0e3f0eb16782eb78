# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The number a Kubernetes quantity (500Mi, 0.5Gi, 250m) stands for, by the kubernetes client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: k8s_quantity
short_description: The number a Kubernetes quantity stands for (bytes for 1Gi, cores for 250m)
version_added: 0.1.0
author: stateful.nfs_redis maintainers
description:
  - Reads a Kubernetes resource quantity such as C(500Mi), C(0.5Gi), C(1e3) or C(250m) with the
    kubernetes Python client's C(kubernetes.utils.quantity.parse_quantity) and returns the number it
    stands for, so that two quantities compare by value, the way the API server sees them
    (C(0.5Gi) and C(512Mi) are equal).
  - A value that is not a quantity fails with a message that says why, for example C(500MB) (C(MB) is
    not a Kubernetes suffix; C(M) is 1000^2, C(Mi) 1024^2). Whether a value is one, without failing,
    is the test of the same name, C(stateful.nfs_redis.k8s_quantity).
  - A quantity is an optionally signed decimal number (C(1), C(1.5), C(.5)) and one optional suffix,
    C(Ki Mi Gi Ti Pi Ei) (powers of 1024), C(m k M G T P E) (powers of 1000, milli to exa) or an
    exponent C(e3)/C(E-3); its value may not exceed 2^63-1 in magnitude. An integer or a float is
    read as the number it is.
  - Needs the kubernetes Python client on the controller, which C(kubernetes.core) needs too.
options:
  _input:
    description: The quantity.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Storage sizes compare by value (0.5Gi is 536870912 bytes, as is 512Mi)
  ansible.builtin.assert:
    that:
      - ('0.5Gi' | stateful.nfs_redis.k8s_quantity) == ('512Mi' | stateful.nfs_redis.k8s_quantity)
      - ('250m' | stateful.nfs_redis.k8s_quantity) == 0.25

- name: Refuse to shrink a claim template
  ansible.builtin.assert:
    that:
      - (redis_storage_size | stateful.nfs_redis.k8s_quantity) >= (current_size | stateful.nfs_redis.k8s_quantity)
    fail_msg: "redis_storage_size {{ redis_storage_size }} is smaller than the claims' {{ current_size }}"
"""

RETURN = r"""
_value:
  description:
    - The number, an integer when it is whole (C(1Gi) is 1073741824), else a float (C(250m) is 0.25).
  type: raw
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.stateful.nfs_redis.plugins.module_utils.quantity import QUANTITY

KUBERNETES_IMPORT_ERROR = None
try:
    from kubernetes.utils.quantity import parse_quantity
except ImportError as exc:
    parse_quantity = None
    KUBERNETES_IMPORT_ERROR = exc

# The grammar (QUANTITY) is the collection's one, in module_utils/quantity.py. parse_quantity computes the value but
# takes more than the API server does: whatever Python's Decimal reads before the suffix
# (" 1", "1_000", "NaN", "1e3Mi").
LIMIT = 2 ** 63 - 1
FORM = (
    "a number with one optional suffix: Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024), m, k, M, G, T, P, E "
    "(powers of 1000) or an exponent such as e3; for example 500Mi, 1Gi, 250m, 1.5"
)


def parse(value):
    """(number, "") for a Kubernetes quantity, with number a Decimal; (None, why) for anything else."""
    if parse_quantity is None:
        raise AnsibleFilterError(
            "k8s_quantity needs the kubernetes Python client on the controller: %s" % KUBERNETES_IMPORT_ERROR
        )
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None, "%r is a %s, not a Kubernetes quantity (%s)" % (value, type(value).__name__, FORM)
    text = value if isinstance(value, str) else str(value)
    if not QUANTITY.fullmatch(text):
        return None, '"%s" is not a Kubernetes quantity: %s (not 500MB: MB is not a Kubernetes unit)' % (text, FORM)
    number = parse_quantity(text)
    if number.copy_abs() > LIMIT:  # not abs(): its arithmetic context overflows on 1e999999999
        return None, '"%s" is not a Kubernetes quantity: its value exceeds 2^63-1' % text
    return number, ""


def k8s_quantity(value):
    """The number a Kubernetes quantity stands for: an int when whole, else a float."""
    number, error = parse(value)
    if error:
        raise AnsibleFilterError("k8s_quantity: " + error)
    if number == number.to_integral_value():
        return int(number)
    return float(number)


class FilterModule(object):
    """Kubernetes quantity filters."""

    def filters(self):
        return {"k8s_quantity": k8s_quantity}
