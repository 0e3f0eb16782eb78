# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parses `exportfs -s`: which clients the kernel NFS server serves."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: nfs_exportfs_entries
short_description: The "PATH HOST" pairs that C(exportfs -s) lists
version_added: 0.2.0
author: stateful.nfs_redis maintainers
description:
  - C(exportfs -s) prints C(PATH HOST(OPTIONS)) per client, or, when the path is long, the path alone on a
    line and its clients on the lines after it. This returns one C(PATH HOST) string per client, options
    dropped, in order.
options:
  _input:
    description: The output's lines (C(stdout_lines)).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: What the kernel server serves
  ansible.builtin.debug:
    msg: "{{ exportfs.stdout_lines | stateful.nfs_redis.nfs_exportfs_entries }}"
  # ['/data/nfs 10.0.0.0/24', '/data/nfs node1']
"""

RETURN = r"""
_value:
  description: C(PATH HOST) for every client listed.
  type: list
  elements: str
"""


def nfs_exportfs_entries(lines):
    """"PATH HOST" for every client `exportfs -s` lists: "PATH HOST(OPTIONS)" on one line, or the
    path alone on a line and its clients, one per line, after it."""
    out = []
    path = ""
    for line in lines or []:
        fields = line.split()
        if len(fields) >= 2 and fields[0].startswith("/"):
            path = fields[0]
            out.append("%s %s" % (path, fields[1].split("(", 1)[0]))
        elif len(fields) == 1 and fields[0].startswith("/"):
            path = fields[0]
        elif len(fields) == 1:
            out.append("%s %s" % (path, fields[0].split("(", 1)[0]))
    return out


class FilterModule(object):
    def filters(self):
        return {"nfs_exportfs_entries": nfs_exportfs_entries}
