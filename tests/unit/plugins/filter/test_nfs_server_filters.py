# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stateful.nfs_redis.plugins.filter.nfs_dbus_strings import nfs_dbus_strings
from ansible_collections.stateful.nfs_redis.plugins.filter.nfs_exportfs_entries import nfs_exportfs_entries
from ansible_collections.stateful.nfs_redis.plugins.filter.nfs_server_exports import nfs_server_exports

HOSTVARS = {"node1": {"ansible_host": "10.0.0.11"}, "node2": {}}
ARGS = (HOSTVARS, ["node1", "node2"], "k8s_nodes", ["rw", "sync"], "root", "root", "0755")


def test_defaults_filled_in_and_group_hosts_become_clients():
    got = nfs_server_exports([{"path": "/data/nfs"}], *ARGS)
    assert got == [{
        "path": "/data/nfs", "owner": "root", "group": "root", "mode": "0755", "export_id": 1,
        "clients_given": False, "var": "nfs_server_exports[0]",
        "clients": [
            {"host": "10.0.0.11", "options": ["rw", "sync"],
             "var": "nfs_server_exports[0] (no clients: host node1 of group k8s_nodes)",
             "host_var": "hostvars['node1'].ansible_host (a host of nfs_server_client_group k8s_nodes, given nfs_server_exports[0])",
             "options_var": "nfs_server_client_options (used by nfs_server_exports[0] (no clients: host node1 of group k8s_nodes))"},
            {"host": "node2", "options": ["rw", "sync"],
             "var": "nfs_server_exports[0] (no clients: host node2 of group k8s_nodes)",
             "host_var": "hostvars['node2'].ansible_host (a host of nfs_server_client_group k8s_nodes, given nfs_server_exports[0])",
             "options_var": "nfs_server_client_options (used by nfs_server_exports[0] (no clients: host node2 of group k8s_nodes))"},
        ],
    }]


def test_given_clients_keep_their_options_and_name_their_variables():
    exports = [
        {"path": "/a", "owner": "999", "mode": "0700", "export_id": 7,
         "clients": [{"host": "10.0.0.0/24", "options": ["ro"]}, {"host": "n1"}, {"host": "n2", "options": None}]},
        {"path": "/b", "clients": None},
        {"path": "/c", "clients": []},
    ]
    got = nfs_server_exports(exports, *ARGS)
    a, b, c = got
    assert (a["owner"], a["group"], a["mode"], a["export_id"], a["clients_given"]) == ("999", "root", "0700", 7, True)
    assert [(x["host"], x["options"], x["options_var"]) for x in a["clients"]] == [
        ("10.0.0.0/24", ["ro"], "nfs_server_exports[0].clients[0].options"),
        ("n1", ["rw", "sync"], "nfs_server_client_options (used by nfs_server_exports[0].clients[1])"),
        ("n2", ["rw", "sync"], "nfs_server_client_options (used by nfs_server_exports[0].clients[2])"),
    ]
    assert a["clients"][0]["host_var"] == "nfs_server_exports[0].clients[0].host"
    # clients given but empty or null: no client at all (validate refuses it), not the group's hosts
    assert (b["clients_given"], b["clients"], b["export_id"]) == (True, [], 2)
    assert (c["clients_given"], c["clients"], c["export_id"]) == (True, [], 3)


def test_malformed_items_do_not_raise():
    got = nfs_server_exports(["/oops", {"clients": ["n1"]}], *ARGS)
    assert got[0]["path"] == "" and got[0]["clients_given"] is False and len(got[0]["clients"]) == 2
    assert got[1]["path"] == "" and got[1]["clients"][0]["host"] == ""
    assert nfs_server_exports(None, *ARGS) == []


def test_path_none_stays_none_as_with_jinja_default():
    assert nfs_server_exports([{"path": None, "clients": []}], *ARGS)[0]["path"] is None


def test_exportfs_one_line_and_wrapped_forms():
    lines = [
        "/data/nfs  10.0.0.0/24(sync,wdelay,hide,no_subtree_check,sec=sys,rw,secure,root_squash,no_all_squash)",
        "/data/a/very/long/path/that/wraps",
        "\t\tnode1(sync,rw)",
        "\t\t192.0.2.7(sync,ro)",
        "",
    ]
    assert nfs_exportfs_entries(lines) == [
        "/data/nfs 10.0.0.0/24",
        "/data/a/very/long/path/that/wraps node1",
        "/data/a/very/long/path/that/wraps 192.0.2.7",
    ]
    assert nfs_exportfs_entries([]) == [] and nfs_exportfs_entries(None) == []


def test_dbus_strings_in_order_other_types_skipped():
    reply = [
        "method return time=1 sender=:1.2 -> destination=:1.3 serial=4 reply_serial=2",
        "   uint32 1",
        '   string "/data/nfs"',
        '   string "/data/nfs"',
        '   string ""',
        "   struct {",
        '      string "10.0.0.0/24"',
        "   }",
        '   string "<unknown>"  ',
    ]
    assert nfs_dbus_strings(reply) == ["/data/nfs", "/data/nfs", "", "10.0.0.0/24", "<unknown>"]
    assert nfs_dbus_strings(None) == []
