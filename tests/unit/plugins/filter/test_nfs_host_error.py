# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nfs_host_error: every client host form of exports(5)/ganesha, and server addresses."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.stateful.nfs_redis.plugins.filter.nfs_host_error import FilterModule, nfs_host_error


@pytest.mark.parametrize(
    "host",
    [
        "192.0.2.10",
        "192.0.2.0/24",
        "192.0.2.0/255.255.255.0",
        "192.0.2.10/32",
        "10.0.0.0/8",
        "2001:db8::1",
        "2001:db8::/32",
        "::1",
        "2001:DB8::/48",
        "node1",
        "node-1.example.com",
        "node-1.example.com.",
        "K8S-Node01.Example.ORG",
        "10.0.0.1a",
        "@k8snodes",
        "@k8s_nodes.prod",
    ],
)
def test_valid_client_hosts(host):
    assert nfs_host_error(host) == ""


@pytest.mark.parametrize(
    "host, reason",
    [
        ("10.0.0.300", "not a valid IPv4 address"),
        ("10.0.0", "not a valid IPv4 address"),
        ("192.168.01.1", "not a valid IPv4 address"),
        ("10.0.0.1/33", "prefix /33 is out of range: an IPv4 prefix is 0-32"),
        ("2001:db8::/129", "an IPv6 prefix is 0-128"),
        ("10.0.0.1/24", "10.0.0.1/24 has host bits set; the network is 10.0.0.0/24 (or give the single address 10.0.0.1)"),
        ("2001:db8::1/32", "the network is 2001:db8::/32"),
        ("10.0.0.0/255.0.255.0", "'255.0.255.0' is not a netmask"),
        ("10.0.0.0/", "'/' is not a prefix length (0-32) or a netmask"),
        ("10.0.0.0/x", "is not a prefix length"),
        ("2001:db8::/ffff::", "'/ffff::' is not a prefix length (0-128)"),
        ("10.0.0.300/24", "the address part '10.0.0.300' is not a valid IPv4 address"),
        ("2001:db8::g", "not a valid IPv6 address"),
        ("2001:db8:::1", "not a valid IPv6 address"),
        ("fe80::1%eth0", "zone"),
        ("node_1.example.com", "label 'node_1' is not valid"),
        ("-node.example.com", "label '-node' is not valid"),
        ("node-.example.com", "label 'node-' is not valid"),
        ("node..example.com", "label '' is not valid"),
        ("a" * 64 + ".example.com", "is not valid"),
        (".".join(["abcdefgh"] * 30), "at most 253 characters"),
        ("10.0.0.1(rw)", "parenthesis"),
        ("10.0.0.1 10.0.0.2", "blank"),
        ("10.0.0.1,10.0.0.2", "comma"),
        ("", "empty"),
        ("@", "not a netgroup"),
        ("@bad group", "blank"),
        ("@-x!", "not a netgroup"),
        ("10.0.0.*", "wildcards do not work in IP addresses"),
        ("2001:db8::*", "wildcards do not work in IP addresses"),
        ("*.example.com", "set nfs_server_allow_wildcards: true"),
        ("node?.example.com", "a wildcard name"),
        ("*", "set nfs_server_allow_world: true"),
        ("0.0.0.0/0", "lets every host"),
        ("::/0", "lets every host"),
        ("0/0", "lets every host"),
        ("*_x.example.com", "not a wildcard name"),
    ],
)
def test_invalid_client_hosts(host, reason):
    assert reason in nfs_host_error(host)


@pytest.mark.parametrize("host", ["*.example.com", "node?.example.com", "*"])
def test_world_allows_wildcards_and_star(host):
    assert nfs_host_error(host, allow_world=True) == ""


def test_wildcards_opt_in():
    assert nfs_host_error("*.example.com", allow_wildcards=True) == ""
    assert "lets every host" in nfs_host_error("*", allow_wildcards=True)


@pytest.mark.parametrize("host", ["192.0.2.10", "192.0.2.0/24", "2001:db8::/32", "2001:db8::1"])
def test_require_ip_accepts_addresses_and_networks(host):
    assert nfs_host_error(host, require_ip=True) == ""


@pytest.mark.parametrize(
    "host, kwargs",
    [
        ("node1.example.org", {}),
        ("@k8snodes", {}),
        ("*.example.com", {"allow_wildcards": True}),
        ("*", {"allow_world": True}),
    ],
)
def test_require_ip_refuses_names(host, kwargs):
    assert "the firewall rules (nfs_server_firewall) need an IPv4/IPv6 address or network" in nfs_host_error(
        host, require_ip=True, **kwargs
    )


def test_netmask_only_where_allowed():
    assert nfs_host_error("192.0.2.0/255.255.255.0", allow_netmask=False) == (
        "NFS-Ganesha needs the prefix length, not a netmask: write 192.0.2.0/24"
    )
    assert nfs_host_error("192.0.2.0/24", allow_netmask=False) == ""


def test_require_ip_accepts_world_network():
    assert nfs_host_error("0.0.0.0/0", allow_world=True, require_ip=True) == ""


@pytest.mark.parametrize("value", [None, 10, ["10.0.0.1"], {"host": "x"}, True])
def test_not_a_string(value):
    assert nfs_host_error(value).startswith("not a string")


@pytest.mark.parametrize("host", ["192.0.2.10", "2001:db8::10", "nfs01.example.com", "nfs01"])
def test_valid_addresses(host):
    assert nfs_host_error(host, kind="address") == ""


@pytest.mark.parametrize(
    "host, reason",
    [
        ("999.1.1.1", "not a valid IPv4 address"),
        ("192.0.2.300", "not a valid IPv4 address"),
        ("192.0.2.0/24", "not a single host"),
        ("*.example.com", "not a single host"),
        ("@group", "not a single host"),
        ("nfs server!", "blank"),
        ("nfs_server", "not a host name"),
        ("1:::2", "not a valid IPv6 address"),
        ("", "empty"),
    ],
)
def test_invalid_addresses(host, reason):
    assert reason in nfs_host_error(host, kind="address")


def test_unknown_kind():
    with pytest.raises(AnsibleFilterError):
        nfs_host_error("x", kind="network")


def test_filter_module():
    assert FilterModule().filters()["nfs_host_error"] is nfs_host_error
