# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why an NFS client host (exports(5), NFS-Ganesha CLIENT) or a server address is not valid."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: nfs_host_error
short_description: Explain why an NFS client host or server address is not valid
version_added: 0.1.0
author: stateful.nfs_redis maintainers
description:
  - Returns an empty string when the input is acceptable, else the reason, meant to follow
    C(VARIABLE is 'VALUE':) in an error message.
  - With O(kind=client), the forms of exports(5) and NFS-Ganesha C(Clients) - an IPv4 or IPv6
    address; a network C(ADDRESS/PREFIX) (or an IPv4 C(ADDRESS/NETMASK)) whose address is the
    network address; an RFC 1123 host name; a wildcard name with C(*) or C(?) (only with
    O(allow_wildcards) or O(allow_world)); an C(@netgroup); C(*), C(0.0.0.0/0) or C(::/0)
    (only with O(allow_world)).
  - With O(kind=address), a single IPv4 or IPv6 address or an RFC 1123 host name (what an NFS
    client connects to).
  - Addresses and networks are parsed with Python's C(ipaddress) module, so C(10.0.0.300),
    C(10.0.0.1/33), C(10.0.0.1/24) (host bits set) or C(2001:db8::g) are refused.
options:
  _input:
    description: The host, as written in the inventory or the role's variables.
    type: raw
    required: true
  kind:
    description: C(client) for an export's client, C(address) for the address of a server.
    type: str
    choices: [client, address]
    default: client
  allow_world:
    description: Accept C(*), C(0.0.0.0/0), C(0/0) and C(::/0), and wildcard names (nfs_server_allow_world).
    type: bool
    default: false
  allow_wildcards:
    description: Accept wildcard names such as C(*.example.com) or C(node?.example.com) (nfs_server_allow_wildcards).
    type: bool
    default: false
  require_ip:
    description: Accept only addresses and networks (firewall rules cannot use names, wildcards or netgroups).
    type: bool
    default: false
  allow_netmask:
    description:
      - Accept an IPv4 network written with a netmask (C(192.0.2.0/255.255.255.0)), as exports(5)
        does. NFS-Ganesha needs the prefix length (C(192.0.2.0/24)).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Fail on a malformed client host
  ansible.builtin.assert:
    that:
      - host | stateful.nfs_redis.nfs_host_error(allow_world=nfs_server_allow_world | bool) == ''
    fail_msg: "host is '{{ host }}': {{ host | stateful.nfs_redis.nfs_host_error }}"
  vars:
    host: 10.0.0.1/24
    # fail_msg: host is '10.0.0.1/24': 10.0.0.1/24 has host bits set; the network is 10.0.0.0/24 ...

- name: Check a server address
  ansible.builtin.assert:
    that:
      - nfs_server_address | stateful.nfs_redis.nfs_host_error(kind='address') == ''
"""

RETURN = r"""
_value:
  description: Empty when the host is acceptable, else why it is not (one sentence, no variable name).
  type: str
"""

import ipaddress
import re

from ansible.errors import AnsibleFilterError

WORLD = ("*", "0.0.0.0/0", "0/0", "::/0")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$")
_WILD_LABEL = re.compile(r"^[A-Za-z0-9*?]([A-Za-z0-9*?-]*[A-Za-z0-9*?])?$")
_NETGROUP = re.compile(r"^@[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_IPV4_LIKE = re.compile(r"^[0-9.]+$")
_NETWORK_EXAMPLE = "such as 192.0.2.10, 192.0.2.0/24 or 2001:db8::/32"
_FORMS = (
    "an IPv4/IPv6 address, a network with its network address (192.0.2.0/24, 2001:db8::/32), "
    "an RFC 1123 host name, or an @netgroup"
)
_HOSTNAME_RULE = (
    "an RFC 1123 host name has labels of letters, digits and '-' (no '_'), each 1-63 characters, "
    "not starting or ending with '-', joined by '.', at most 253 characters"
)


def _hostname_error(name, wildcards=False):
    """'' when name is an RFC 1123 host name (with * and ? allowed when wildcards)."""
    if name.endswith("."):
        name = name[:-1]
    if not name or len(name) > 253:
        return _HOSTNAME_RULE
    label = _WILD_LABEL if wildcards else _LABEL
    for part in name.split("."):
        if len(part) > 63 or not label.match(part):
            return "label '%s' is not valid: %s" % (part, _HOSTNAME_RULE)
    return ""


def _address_error(text):
    """'' for a valid IPv4/IPv6 address, else why not."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        if ":" in text:
            return "not a valid IPv6 address"
        return "not a valid IPv4 address (four numbers 0-255 without leading zeros, separated by '.')"
    if "%" in text:
        return "an IPv6 address with a zone (%) cannot be used"
    return ""


def _netmask_prefix(mask):
    """Prefix length of a dotted IPv4 netmask (255.255.255.0 -> 24), or None."""
    try:
        value = int(ipaddress.IPv4Address(mask))
    except ValueError:
        return None
    inverted = ~value & 0xFFFFFFFF
    if inverted & (inverted + 1):
        return None
    return 32 - inverted.bit_length()


def _network_error(text, allow_netmask=True):
    """'' for ADDRESS/PREFIX (or IPv4 ADDRESS/NETMASK) naming a network address, else why not."""
    address, _sep, prefix = text.partition("/")
    problem = _address_error(address)
    if problem:
        return "the address part '%s' is %s" % (address, problem)
    version = ipaddress.ip_address(address).version
    bits = 32 if version == 4 else 128
    if re.match(r"^[0-9]{1,3}$", prefix):
        length = int(prefix)
        if length > bits:
            return "prefix /%s is out of range: an IPv%d prefix is 0-%d" % (prefix, version, bits)
    elif version == 4 and "." in prefix:
        length = _netmask_prefix(prefix)
        if length is None:
            return "'%s' is not a netmask (contiguous ones, such as 255.255.255.0)" % prefix
        if not allow_netmask:
            return "NFS-Ganesha needs the prefix length, not a netmask: write %s/%d" % (address, length)
    else:
        return "'/%s' is not a prefix length (0-%d)%s" % (prefix, bits, " or a netmask" if version == 4 else "")
    try:
        ipaddress.ip_network("%s/%d" % (address, length), strict=True)
    except ValueError:
        network = ipaddress.ip_network("%s/%d" % (address, length), strict=False)
        return (
            "%s has host bits set; the network is %s (or give the single address %s)"
            % (text, network, address)
        )
    return ""


def nfs_host_error(host, kind="client", allow_world=False, allow_wildcards=False, require_ip=False, allow_netmask=True):
    """Return '' when host is acceptable, else the reason."""
    if kind not in ("client", "address"):
        raise AnsibleFilterError("nfs_host_error: kind must be client or address, not %r" % (kind,))
    if not isinstance(host, str) or isinstance(host, bool):
        return "not a string but %s; give %s" % (type(host).__name__, _FORMS if kind == "client" else "an address or host name")
    if host == "":
        return "empty; give %s" % (_FORMS if kind == "client" else "an IP address or a host name")
    if re.search(r"[\s,()\"';\\]", host):
        return "it contains a blank, comma, parenthesis, quote, ';' or backslash; give one host per item, options go in 'options'"

    if kind == "address":
        if "/" in host or "*" in host or "?" in host or host.startswith("@"):
            return "not a single host; give an IP address such as 192.0.2.10 or a host name such as nfs01.example.com"
        if ":" in host or _IPV4_LIKE.match(host):
            problem = _address_error(host)
            return ("%s; give an address such as 192.0.2.10 or 2001:db8::10" % problem) if problem else ""
        problem = _hostname_error(host)
        return ("not a host name: %s" % problem) if problem else ""

    need_ip = (
        "the firewall rules (nfs_server_firewall) need an IPv4/IPv6 address or network %s"
        % _NETWORK_EXAMPLE
    )
    if host in WORLD:
        if not allow_world:
            return (
                "which lets every host that can reach the server mount the export. List the clients "
                "(addresses, networks such as 192.0.2.0/24, or names), or set nfs_server_allow_world: true "
                "to accept it"
            )
        if require_ip and host == "*":
            return "%s; use 0.0.0.0/0 or ::/0 for every host" % need_ip
        return ""
    if host.startswith("@"):
        if not _NETGROUP.match(host):
            return "not a netgroup: @ must be followed by the netgroup's name (letters, digits, '_', '-', '.')"
        return ("%s, not a netgroup" % need_ip) if require_ip else ""
    if "/" in host:
        return _network_error(host, allow_netmask)
    if "*" in host or "?" in host:
        if _IPV4_LIKE.match(host.replace("*", "0").replace("?", "0")) or ":" in host:
            return "wildcards do not work in IP addresses; use a network such as 192.0.2.0/24"
        problem = _hostname_error(host, wildcards=True)
        if problem:
            return "not a wildcard name: %s (plus the wildcards * and ?)" % problem
        if not (allow_wildcards or allow_world):
            return (
                "a wildcard name, which admits every host whose name matches. List the hosts, or set "
                "nfs_server_allow_wildcards: true to accept it"
            )
        return ("%s, not a wildcard name" % need_ip) if require_ip else ""
    if ":" in host or _IPV4_LIKE.match(host):
        problem = _address_error(host)
        return ("%s; give %s" % (problem, _FORMS)) if problem else ""
    problem = _hostname_error(host)
    if problem:
        return "not a host name: %s" % problem
    if host.split(".")[-1].isdigit():
        return "not a host name (its last label is a number) and not an IPv4 address"
    return ("%s, not a host name" % need_ip) if require_ip else ""


class FilterModule(object):
    """NFS host filters."""

    def filters(self):
        return {"nfs_host_error": nfs_host_error}
