# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the collection's NFS export is: the one place that derives server address and path."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: nfs_export
short_description: The NFS server address and export path, derived from the nfs_server inventory host
version_added: 0.1.0
author: stateful.nfs_redis maintainers
description:
  - The one place where the collection derives which NFS export the Kubernetes side uses, so the
    nfs_client role's check and the provisioner's C(NFS_SERVER)/C(NFS_PATH) can never disagree.
  - The server host is O(host) when given, else the first host of the inventory group O(group).
  - Its address is, in this order, O(server), the host's C(nfs_server_address), its C(ansible_host),
    its inventory name. The path is O(path), else the C(path) of the host's first C(nfs_server_exports)
    item.
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  groups:
    description: C(groups), the inventory's groups and their hosts.
    type: dict
    required: true
  group:
    description: The inventory group of the NFS server.
    type: str
    default: nfs_server
  host:
    description: The inventory name of the NFS server host; empty for the first host of O(group).
    type: str
    default: ""
  server:
    description: An explicit address; empty to derive it.
    type: str
    default: ""
  path:
    description: An explicit export path; empty to derive it.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Derive NFS_SERVER and NFS_PATH
  ansible.builtin.set_fact:
    export: "{{ hostvars | stateful.nfs_redis.nfs_export(groups, host=nfs_provisioner_nfs_server_host) }}"
  # export: {host: nfs01, server: 192.0.2.10, path: /data/nfs, server_from: ..., error: ""}
"""

RETURN = r"""
_value:
  description: The export.
  type: dict
  contains:
    host:
      description: The inventory name of the NFS server host, or empty when there is none.
      type: str
    server:
      description: The address clients use, or empty.
      type: str
    path:
      description: The export path, or empty.
      type: str
    server_from:
      description:
        - Where RV(_value.server) came from, for messages. A host variable that cannot be evaluated in
          the play (it refers to facts that were not gathered) counts as unset, as with C(default()), and
          is named here.
      type: str
    error:
      description: Empty, or why no export can be derived (names the variables to set).
      type: str
"""

from ansible.errors import AnsibleError, AnsibleFilterError
from jinja2 import Undefined


def _text(value):
    return "" if value is None else str(value).strip()


def _get(facts, key):
    """A host variable, or None when it is unset or cannot be evaluated in this play.

    Another host's variable is templated when it is read; one that refers to facts nobody gathered
    in this play (nfs_server_address: "{{ ansible_facts['default_ipv4']['address'] }}" read by
    teardown.yml) raises. As with Ansible's default() filter, such a value counts as unset, and the
    next source is used; the reason is kept for messages.
    """
    try:
        value = facts.get(key)
    except (AnsibleError, KeyError, AttributeError, TypeError) as e:
        return None, "%s cannot be evaluated in this play (%s)" % (key, str(e).splitlines()[0] if str(e) else type(e).__name__)
    if isinstance(value, Undefined):
        # ansible-core 2.19 hands back an undefined marker instead of raising.
        return None, "%s cannot be evaluated in this play (it refers to something undefined here, such as facts not gathered)" % key
    return value, ""


def nfs_export(hostvars, groups, group="nfs_server", host="", server="", path=""):
    if not isinstance(groups, dict):
        raise AnsibleFilterError("nfs_export: pass groups, e.g. hostvars | nfs_export(groups)")
    host, server, path = _text(host), _text(server), _text(path)
    result = {"host": "", "server": server, "path": path, "server_from": "", "error": ""}
    if host:
        if host not in hostvars:
            result["error"] = (
                "%s is not a host of the inventory; name the NFS server's inventory host, or give the "
                "address and path explicitly" % host
            )
            return result
    else:
        members = list(groups.get(group) or [])
        host = members[0] if members else ""
    result["host"] = host
    facts = hostvars[host] if host else {}
    if server:
        result["server_from"] = "given explicitly"
    elif host:
        skipped = []
        for key in ("nfs_server_address", "ansible_host"):
            value, why = _get(facts, key)
            if why:
                skipped.append(why)
            value = _text(value)
            if value:
                result["server"], result["server_from"] = value, "%s of inventory host %s" % (key, host)
                break
        else:
            result["server"], result["server_from"] = host, "the inventory name of host %s" % host
        if skipped:
            result["server_from"] += " (%s)" % "; ".join(skipped)
    if not path and host:
        exports = _get(facts, "nfs_server_exports")[0] or []
        first = exports[0] if isinstance(exports, list) and exports else {}
        result["path"] = _text(first.get("path")) if isinstance(first, dict) else ""
    if not result["server"] or not result["path"]:
        missing = [w for w, v in (("address", result["server"]), ("export path", result["path"])) if not v]
        result["error"] = "no NFS server %s: %s" % (
            " or ".join(missing),
            "inventory group %s has no host" % group if not host else
            "host %s has no nfs_server_exports[0].path" % host,
        )
    return result


class FilterModule(object):
    def filters(self):
        return {"nfs_export": nfs_export}
