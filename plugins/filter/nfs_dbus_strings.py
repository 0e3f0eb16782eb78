# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parses `dbus-send --print-reply` answers (nfs-ganesha's ShowExports and DisplayExport)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: nfs_dbus_strings
short_description: The string arguments of a C(dbus-send --print-reply) answer
version_added: 0.2.0
author: stateful.nfs_redis maintainers
description:
  - Returns the value of every line of the form C(string "VALUE"), in order; other lines (integers, structs,
    arrays) are skipped. nfs-ganesha's C(ShowExports) lists its export paths this way, C(DisplayExport) the
    export's id, path, pseudo path and tag, then its clients.
options:
  _input:
    description: The answer's lines (C(stdout_lines)).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: The paths ganesha serves
  ansible.builtin.debug:
    msg: "{{ show_exports.stdout_lines | stateful.nfs_redis.nfs_dbus_strings }}"
"""

RETURN = r"""
_value:
  description: The strings, in order.
  type: list
  elements: str
"""

import re

_DBUS_STRING = re.compile(r'^\s*string "(.*)"\s*$')


def nfs_dbus_strings(lines):
    """The string arguments of a `dbus-send --print-reply` answer, in order."""
    out = []
    for line in lines or []:
        m = _DBUS_STRING.match(line)
        if m:
            out.append(m.group(1))
    return out


class FilterModule(object):
    def filters(self):
        return {"nfs_dbus_strings": nfs_dbus_strings}
