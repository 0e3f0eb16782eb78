# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The variables of a role's prefix that its argument specs do not know, with the nearest known name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: unknown_vars
short_description: Find variables of a role's prefix that the role does not know, and suggest the nearest known name
version_added: 0.1.0
author: stateful.nfs_redis maintainers
description:
  - Given the names of the variables defined for a host (for example from
    C(query('ansible.builtin.varnames', '^redis_'))) and the names a role knows (the options of
    its C(meta/argument_specs.yml)), returns the defined names that are not known, each with the
    nearest known name (C(difflib)) and a ready-made message.
  - A misspelt variable such as C(redis_replica) is otherwise ignored without a word and the
    default is used.
positional: known
options:
  _input:
    description: Names of the defined variables.
    type: list
    elements: str
    required: true
  known:
    description: Names the role knows; a mapping (the argument spec's options) counts its keys.
    type: raw
    required: true
  prefix:
    description:
      - The role's prefix, such as C(redis_). Names are compared without it, so that every
        name's shared prefix does not make unrelated names look alike.
    type: str
    default: ""
  ignore:
    description:
      - Regular expressions; a defined name that matches one of them in full is not reported
        (the collection's escape hatch C(stateful_nfs_redis_ignore_vars)).
    type: list
    elements: str
    default: []
  role:
    description: Name of the role, for the message.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Fail on variables of the role's prefix that the role does not know
  vars:
    __spec: "{{ (lookup('ansible.builtin.file', role_path ~ '/meta/argument_specs.yml') | from_yaml).argument_specs.main.options }}"
    __unknown: >-
      {{ query('ansible.builtin.varnames', '^redis_')
         | stateful.nfs_redis.unknown_vars(__spec, prefix='redis_', role='redis') }}
  ansible.builtin.assert:
    that:
      - __unknown | length == 0
    fail_msg: "{{ __unknown | map(attribute='msg') | join('; ') }}"
    # redis_replica is not a variable of role redis (did you mean redis_replicas?) ...
"""

RETURN = r"""
_value:
  description: The unknown names, sorted.
  type: list
  elements: dict
  contains:
    name:
      description: The unknown variable.
      type: str
    suggestion:
      description: The nearest known name, or an empty string when none is close.
      type: str
    msg:
      description: One sentence naming the variable and the suggestion.
      type: str
"""

import difflib
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

CUTOFF = 0.6


def _strip(name, prefix):
    return name[len(prefix):] if prefix and name.startswith(prefix) else name


def unknown_vars(defined, known, prefix="", ignore=None, role=""):
    """Return [{name, suggestion, msg}] for every name of defined not in known nor ignored."""
    if isinstance(defined, str) or isinstance(known, str):
        raise AnsibleFilterError("unknown_vars: give lists of names, not a string")
    known_names = sorted(known.keys() if isinstance(known, Mapping) else known)
    patterns = []
    for pattern in ignore or []:
        try:
            patterns.append(re.compile(pattern))
        except re.error as e:
            raise AnsibleFilterError("unknown_vars: ignore entry %r is not a regular expression: %s" % (pattern, e))
    stripped = dict((_strip(k, prefix), k) for k in known_names)
    out = []
    for name in sorted(set(defined)):
        if name in known_names or any(p.fullmatch(name) for p in patterns):
            continue
        close = difflib.get_close_matches(_strip(name, prefix), list(stripped), n=1, cutoff=CUTOFF)
        suggestion = stripped[close[0]] if close else ""
        where = (" of role stateful.nfs_redis.%s" % role) if role else ""
        msg = "%s is not a variable%s (%s)" % (
            name,
            where,
            ("did you mean %s?" % suggestion) if suggestion else "no known name is close",
        )
        out.append({"name": name, "suggestion": suggestion, "msg": msg})
    return out


class FilterModule(object):
    """Variable name filters."""

    def filters(self):
        return {"unknown_vars": unknown_vars}
