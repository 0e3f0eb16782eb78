# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values that a role's argument spec lets through but the role would misread."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: argspec_errors
short_description: Find values that a role's argument spec accepts but the role would misread
version_added: 0.1.0
author: stateful.nfs_redis maintainers
description:
  - Ansible validates a role's variables against C(meta/argument_specs.yml) but does not replace
    them with the converted values. So a string given for a C(type=list) option (C(-e
    redis_extra_args=--foo)) passes validation, split at commas, and a template then iterates over
    its characters; C(y) passes as a C(type=bool) option but the C(bool) filter reads it as false.
  - This filter checks the values against the options and returns one message per problem,
    naming the variable and the accepted form. The role reads booleans with the C(bool) filter, so
    a boolean is C(true)/C(false), C(yes)/C(no), C(on)/C(off), C(1)/C(0) (any case, as a string
    from C(-e flag=true) too).
  - C(type=list) must be a list (elements C(dict) - mappings, whose suboptions are checked in
    turn; elements C(str) - no mappings, lists or booleans, so that an unquoted C(yes) is not sent
    as C(True)); C(type=dict) a mapping; C(type=int) a whole number (not a boolean).
    A null value of a top-level list, dict, bool or int option is an error; in suboptions it means
    "not given".
positional: options
options:
  _input:
    description: The defined variables, name to value (options that are not defined are left out).
    type: dict
    required: true
  options:
    description: The C(options) of the role's entry point in C(meta/argument_specs.yml).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Fail on values the argument spec would let through
  vars:
    __spec: "{{ (lookup('ansible.builtin.file', role_path ~ '/meta/argument_specs.yml') | from_yaml).argument_specs.main.options }}"
    __names: "{{ query('ansible.builtin.varnames', '^redis_') | select('in', __spec) | list }}"
    __errors: "{{ dict(__names | zip(query('ansible.builtin.vars', *__names))) | stateful.nfs_redis.argspec_errors(__spec) }}"
  ansible.builtin.assert:
    that:
      - __errors | length == 0
    fail_msg: "{{ __errors | join('; ') }}"
    # redis_extra_args must be a list of strings; got the string "--foo" ...
"""

RETURN = r"""
_value:
  description: One message per problem, each naming the variable (C(name[0].sub) for suboptions).
  type: list
  elements: str
"""

import json
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

BOOL_STRINGS = ("true", "false", "yes", "no", "on", "off", "1", "0")
_INT = re.compile(r"^\s*[-+]?[0-9]+\s*$")


def _show(value):
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    if isinstance(value, str):
        return "the string %s" % text
    if value is None:
        return "null (an empty value, such as -e NAME= or a YAML key without a value)"
    return "%s (%s)" % (text, type(value).__name__)


def _is_bool(value):
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return value in (0, 1)
    return isinstance(value, str) and value.strip().lower() in BOOL_STRINGS


def _is_int(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and bool(_INT.match(value))


def _list_hint(name, value, elements, top):
    if not top or not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return ""
    items = [value] if not isinstance(value, str) else [v.strip() for v in value.split(",") if v.strip()]
    if elements == "dict":
        return ""
    return " On the command line give a list as JSON: -e '%s'." % json.dumps({name: items})


def _check(name, value, spec, top, out):
    kind = spec.get("type", "str")
    if value is None:
        if top and kind in ("list", "dict", "bool", "int"):
            out.append("%s must be %s; got %s." % (name, _WANT.get(kind, kind), _show(value)))
        return
    if kind == "list":
        elements = spec.get("elements")
        if not isinstance(value, (list, tuple)):
            out.append(
                "%s must be a list%s; got %s.%s"
                % (name, _ELEMENTS.get(elements, ""), _show(value), _list_hint(name, value, elements, top))
            )
            return
        for index, item in enumerate(value):
            item_name = "%s[%d]" % (name, index)
            if elements == "dict":
                if not isinstance(item, Mapping):
                    out.append("%s must be a mapping; got %s." % (item_name, _show(item)))
                elif isinstance(spec.get("options"), Mapping):
                    _check_options(item_name + ".", item, spec["options"], out)
            elif elements == "str":
                if isinstance(item, (Mapping, list, tuple)) or isinstance(item, bool) or item is None:
                    out.append(
                        "%s must be a string; got %s (quote yes, no, true, false, on and off, "
                        "else YAML makes a boolean of them)." % (item_name, _show(item))
                    )
            elif elements == "int":
                if not _is_int(item):
                    out.append("%s must be a whole number; got %s." % (item_name, _show(item)))
            elif elements == "bool":
                if not _is_bool(item):
                    out.append("%s must be true or false; got %s." % (item_name, _show(item)))
    elif kind == "dict":
        if not isinstance(value, Mapping):
            hint = " On the command line give a mapping as JSON: -e '{\"%s\": {...}}'." % name if top else ""
            out.append("%s must be a mapping such as {key: value}; got %s.%s" % (name, _show(value), hint))
        elif isinstance(spec.get("options"), Mapping):
            _check_options(name + ".", value, spec["options"], out)
    elif kind == "bool":
        if not _is_bool(value):
            out.append(
                "%s must be true or false (also accepted: yes/no, on/off, 1/0, in any case, and from the "
                "command line as -e %s=true); got %s." % (name, name, _show(value))
            )
    elif kind == "int":
        if not _is_int(value):
            out.append("%s must be a whole number such as 3; got %s." % (name, _show(value)))


_WANT = {
    "list": "a list",
    "dict": "a mapping",
    "bool": "true or false",
    "int": "a whole number",
}
_ELEMENTS = {
    "str": " of strings",
    "dict": " of mappings such as [{key: value}]",
    "int": " of whole numbers, such as [3, 4]",
    "bool": " of true/false values",
}


def _check_options(prefix, values, options, out):
    for key in sorted(values):
        spec = options.get(key)
        if isinstance(spec, Mapping):
            _check(prefix + key, values[key], spec, False, out)


def argspec_errors(values, options):
    """Return one message per value that options accept but the role would misread."""
    if not isinstance(values, Mapping) or not isinstance(options, Mapping):
        raise AnsibleFilterError("argspec_errors: give a mapping of values and the mapping of options")
    out = []
    for name in sorted(values):
        spec = options.get(name)
        if isinstance(spec, Mapping) and not spec.get("no_log"):
            _check(name, values[name], spec, True, out)
    return out


class FilterModule(object):
    """Argument spec filters."""

    def filters(self):
        return {"argspec_errors": argspec_errors}
