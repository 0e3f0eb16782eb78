# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nfs_server role's exports with every default filled in (the one normaliser)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: nfs_server_exports
short_description: nfs_server_exports with every default filled in, each item naming the variable it came from
version_added: 0.2.0
author: stateful.nfs_redis maintainers
description:
  - Fills in the defaults of every export (C(owner), C(group), C(mode), C(export_id), client C(options)) and,
    for an export without C(clients), makes one client per host of the client group (its C(ansible_host), else
    its inventory name).
  - Every export and client carries C(var), the name of the variable it came from, so that the role's
    messages can name it. Values are not checked here (the role's validate step does that).
options:
  _input:
    description: The value of C(nfs_server_exports).
    type: list
    elements: dict
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  group_hosts:
    description: The hosts of the client group (C(groups[nfs_server_client_group])).
    type: list
    elements: str
    required: true
  client_group:
    description: The name of the client group, for messages.
    type: str
    required: true
  client_options:
    description: C(nfs_server_client_options), the options of a client that gives none.
    type: list
    elements: str
    required: true
  owner:
    description: C(nfs_server_export_owner).
    type: str
    required: true
  group:
    description: C(nfs_server_export_group).
    type: str
    required: true
  mode:
    description: C(nfs_server_export_mode).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The exports, normalised
  ansible.builtin.debug:
    msg: >-
      {{ nfs_server_exports | stateful.nfs_redis.nfs_server_exports(hostvars, groups['k8s_nodes'], 'k8s_nodes',
         ['rw', 'sync'], 'root', 'root', '0755') }}
"""

RETURN = r"""
_value:
  description: The exports, in order.
  type: list
  elements: dict
  contains:
    path:
      description: The export's C(path), or empty.
      type: str
    owner:
      description: The export's C(owner), else O(owner). Likewise C(group) and C(mode).
      type: str
    export_id:
      description: The export's C(export_id), else its position counted from 1.
      type: int
    clients_given:
      description: Whether the export has the key C(clients) (even empty).
      type: bool
    clients:
      description: >-
        C({host, options, var, host_var, options_var}) for each client; C(options) is O(client_options)
        when the client gives none, and C(options_var) says so.
      type: list
      elements: dict
    var:
      description: C(nfs_server_exports[N]).
      type: str
"""


def _field(item, key, default):
    """item[key] when item is a mapping that has it (None included, as Jinja's default()), else default."""
    return item.get(key, default) if isinstance(item, dict) else default


def nfs_server_exports(exports, hostvars, group_hosts, client_group, client_options, owner, group, mode):
    out = []
    for i, export in enumerate(exports or []):
        var = "nfs_server_exports[%d]" % i
        clients = []
        if isinstance(export, dict) and "clients" in export:
            for j, client in enumerate(export.get("clients") or []):
                cvar = "%s.clients[%d]" % (var, j)
                options = _field(client, "options", None)
                clients.append({
                    "host": _field(client, "host", ""),
                    "options": options if options is not None else client_options,
                    "var": cvar,
                    "host_var": cvar + ".host",
                    "options_var": (cvar + ".options") if options is not None
                    else "nfs_server_client_options (used by %s)" % cvar,
                })
        else:
            for host in group_hosts or []:
                cvar = "%s (no clients: host %s of group %s)" % (var, host, client_group)
                facts = hostvars[host] if host in hostvars else {}
                clients.append({
                    "host": facts.get("ansible_host", host),
                    "options": client_options,
                    "var": cvar,
                    "host_var": "hostvars['%s'].ansible_host (a host of nfs_server_client_group %s, given %s)"
                    % (host, client_group, var),
                    "options_var": "nfs_server_client_options (used by %s)" % cvar,
                })
        out.append({
            "path": _field(export, "path", ""),
            "owner": _field(export, "owner", owner),
            "group": _field(export, "group", group),
            "mode": _field(export, "mode", mode),
            "export_id": _field(export, "export_id", i + 1),
            "clients_given": isinstance(export, dict) and "clients" in export,
            "clients": clients,
            "var": var,
        })
    return out


class FilterModule(object):
    def filters(self):
        return {
            "nfs_server_exports": nfs_server_exports,
        }
