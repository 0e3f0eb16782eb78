# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values that are not in the Kubernetes format a role's variable needs (names, images, quantities, ...)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: k8s_format_errors
short_description: Find variable values that are not in the Kubernetes format they need
version_added: 0.1.0
author: stateful.nfs_redis maintainers
description:
  - Given the values of some variables and, for each, the format it must have, returns one message per
    value that is not in that format, naming the variable, the accepted form and the value.
  - The one place that knows what a DNS-1123 label, a DNS-1035 label, a DNS-1123 subdomain, a
    container image reference, a Kubernetes quantity and a resources mapping look like. The roles
    C(nfs_provisioner) and C(redis) list their variables' formats (the C(shared_formats) input of
    C(stateful.nfs_redis.shared), entry point C(validate_vars)).
  - Types are not checked here (C(argspec_errors) does that first); a value of the wrong type is
    reported as not in the format.
positional: formats
options:
  _input:
    description: The values, variable name to value. Names without a format are ignored.
    type: dict
    required: true
  formats:
    description:
      - Variable name to its format, either the name of a format or a mapping with the key C(format)
        and any of C(max_length) (a smaller maximum length for the C(dns_*) formats), C(allow_empty)
        (an empty string is accepted too), C(each) (the value is a list and each item must have the
        format), C(why) (a reason, added to the message in parentheses) and C(example) (added to the
        message as C(e.g. ...)).
      - C(dns_label) - RFC 1123 label, at most 63 characters (namespaces, most object names).
      - C(dns_1035_label) - RFC 1035 label, starting with a letter, at most 63 characters (Service names).
      - C(dns_subdomain) - RFC 1123 subdomain, at most 253 characters (StorageClass, Secret names).
      - C(image) - a container image reference without spaces.
      - C(quantity) - a Kubernetes quantity such as 250m, 500Mi or 1Gi (not 500MB).
      - C(resources) - a mapping with the keys C(requests) and/or C(limits), each a mapping of
        resource names to quantities.
      - C(string_map) - a mapping whose values are strings (node selectors).
      - C(non_negative_int) - a whole number >= 0. C(positive_int) - a whole number >= 1.
        C(port) - a whole number from 1 to 65535.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Fail on values that are not in their Kubernetes format
  vars:
    __values: "{{ dict(['redis_name', 'redis_storage_size'] | zip(query('ansible.builtin.vars', 'redis_name', 'redis_storage_size'))) }}"
    __errors: >-
      {{ __values | stateful.nfs_redis.k8s_format_errors({'redis_name': {'format': 'dns_label', 'max_length': 52},
                                                         'redis_storage_size': 'quantity'}) }}
  ansible.builtin.assert:
    that:
      - __errors | length == 0
    fail_msg: "{{ __errors | join(' ') }}"
    # redis_storage_size must be a Kubernetes quantity such as 250m, 500Mi or 1Gi ...; got "500MB".
"""

RETURN = r"""
_value:
  description: One message per value not in its format, each naming the variable (C(name[0]) for an item of a list).
  type: list
  elements: str
"""

import json
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
RE_DNS_LABEL = re.compile(r"^%s$" % _DNS_LABEL)
RE_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
RE_DNS_SUBDOMAIN = re.compile(r"^%s(\.%s)*$" % (_DNS_LABEL, _DNS_LABEL))
RE_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]*$")
# Kubernetes quantity, e.g. 100m, 500Mi, 1Gi (no "MB"/"GB": those are not Kubernetes units).
RE_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$")
RE_DIGITS = re.compile(r"^[0-9]+$")

QUANTITY = "a Kubernetes quantity such as 250m, 500Mi or 1Gi (Mi and Gi are powers of two; MB and GB are not Kubernetes units)"

# format: (description with {max}, default maximum length or None)
_DESCRIPTIONS = {
    "dns_label": (
        "a DNS-1123 label (lower case letters, digits and '-', starting and ending with a letter or digit, "
        "at most {max} characters)",
        63,
    ),
    "dns_1035_label": (
        "a DNS-1035 label (lower case letters, digits and '-', starting with a letter and ending with a "
        "letter or digit, at most {max} characters)",
        63,
    ),
    "dns_subdomain": ("a DNS-1123 subdomain (DNS-1123 labels joined by '.', at most {max} characters)", 253),
    "image": ("a non-empty container image reference without spaces", None),
    "quantity": (QUANTITY, None),
    "resources": (
        "a mapping with the keys requests and/or limits, each mapping resource names to Kubernetes quantities "
        "such as 250m, 128Mi or 1Gi (not 128MB)",
        None,
    ),
    "string_map": ("a mapping of label names to string values (quote \"true\")", None),
    "non_negative_int": ("a whole number >= 0", None),
    "positive_int": ("a whole number >= 1", None),
    "port": ("a port number from 1 to 65535", None),
}


def _jinja_int(value):
    """The value as Jinja's int filter reads it (0 when it cannot)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def _matches(regex, value, max_length):
    return isinstance(value, str) and bool(regex.match(value)) and (max_length is None or len(value) <= max_length)


def _valid(fmt, value, max_length):
    if fmt == "dns_label":
        return _matches(RE_DNS_LABEL, value, max_length)
    if fmt == "dns_1035_label":
        return _matches(RE_DNS_1035_LABEL, value, max_length)
    if fmt == "dns_subdomain":
        return _matches(RE_DNS_SUBDOMAIN, value, max_length)
    if fmt == "image":
        return _matches(RE_IMAGE, value, None)
    if fmt == "quantity":
        return bool(RE_QUANTITY.match(str(value)))
    if fmt == "resources":
        return (
            isinstance(value, Mapping)
            and set(value).issubset(("requests", "limits"))
            and all(isinstance(v, Mapping) for v in value.values())
            and all(RE_QUANTITY.match(str(q)) for v in value.values() for q in v.values())
        )
    if fmt == "string_map":
        return isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values())
    if fmt == "non_negative_int":
        return bool(RE_DIGITS.match(str(value)))
    if fmt == "positive_int":
        return _jinja_int(value) > 0
    if fmt == "port":
        return bool(RE_DIGITS.match(str(value))) and 1 <= int(str(value)) <= 65535
    raise AnsibleFilterError("k8s_format_errors: unknown format %r (known: %s)" % (fmt, ", ".join(sorted(_DESCRIPTIONS))))


def _show(value):
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _spec(name, spec):
    if isinstance(spec, str):
        spec = {"format": spec}
    if not isinstance(spec, Mapping) or spec.get("format") not in _DESCRIPTIONS:
        raise AnsibleFilterError(
            "k8s_format_errors: the format of %s must be one of %s (or a mapping with the key format); got %r"
            % (name, ", ".join(sorted(_DESCRIPTIONS)), spec)
        )
    unknown = set(spec) - set(("format", "max_length", "allow_empty", "each", "why", "example"))
    if unknown:
        raise AnsibleFilterError("k8s_format_errors: unknown key(s) %s in the format of %s" % (", ".join(sorted(unknown)), name))
    return spec


def _message(name, value, spec, max_length):
    text = _DESCRIPTIONS[spec["format"]][0]
    want = text.format(max=max_length)
    if spec.get("allow_empty"):
        want += " or empty"
    if spec.get("why"):
        want += " (%s)" % spec["why"]
    if spec.get("example"):
        want += ", e.g. %s" % spec["example"]
    return "%s must be %s; got %s." % (name, want, _show(value))


def k8s_format_errors(values, formats):
    """Return one message per value of values that is not in the format formats gives for it."""
    if not isinstance(values, Mapping) or not isinstance(formats, Mapping):
        raise AnsibleFilterError("k8s_format_errors: give a mapping of values and a mapping of formats")
    out = []
    for name in sorted(formats):
        if name not in values:
            continue
        spec = _spec(name, formats[name])
        fmt = spec["format"]
        max_length = spec.get("max_length", _DESCRIPTIONS[fmt][1])
        value = values[name]
        if spec.get("each"):
            if not isinstance(value, (list, tuple)):
                out.append("%s must be a list; got %s." % (name, _show(value)))
                continue
            items = [("%s[%d]" % (name, i), item) for i, item in enumerate(value)]
        else:
            items = [(name, value)]
        for item_name, item in items:
            if spec.get("allow_empty") and item == "":
                continue
            if not _valid(fmt, item, max_length):
                out.append(_message(item_name, item, spec, max_length))
    return out


class FilterModule(object):
    """Kubernetes format filters."""

    def filters(self):
        return {"k8s_format_errors": k8s_format_errors}
