# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End to end over real HTTP on 127.0.0.1: kubernetes.core's get_api_client, the
kubernetes python client, urllib3 streaming, KubeApi, the reflector threads.

The server is a minimal imitation of kube-apiserver (discovery, list, chunked
watch with resourceVersion, 410 for compacted history, dropped connections)
serving a FakeCluster. It proves the request shapes and counts, and the
reaction latency, with the client code the module really uses.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import tempfile
import threading
import time

import pytest

pytest.importorskip("kubernetes")

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402
from urllib.parse import parse_qs, urlparse  # noqa: E402

from ansible_collections.stateful.nfs_redis.plugins.module_utils.kube import make_api  # noqa: E402
from ansible_collections.stateful.nfs_redis.plugins.module_utils.watch import (  # noqa: E402
    RolloutWaiter,
    WaitFailed,
)
from ansible_collections.stateful.nfs_redis.tests.unit.plugins.module_utils.k8s_fakes import (  # noqa: E402
    FakeCluster,
    _match_fields,
    _match_labels,
    make_pod,
    make_pvc,
    make_sts,
    set_status,
)

COLLECTIONS = {
    "/api/v1/namespaces/ns/pods": "pods",
    "/apis/apps/v1/namespaces/ns/statefulsets": "statefulsets",
    "/api/v1/namespaces/ns/persistentvolumeclaims": "persistentvolumeclaims",
    "/api/v1/namespaces/ns/events": "events",
}
DISCOVERY = {
    "/version": {"major": "1", "minor": "34", "gitVersion": "v1.34.0"},
    "/api": {"kind": "APIVersions", "versions": ["v1"]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [{
        "name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}]},
}


class FakeApiServer:
    def __init__(self, cluster):
        self.cluster = cluster
        self.requests = []
        self.drop_next_watch = {}
        self.forbidden = set()
        self.stopping = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                query = dict((k, v[0]) for k, v in parse_qs(url.query).items())
                server.requests.append((url.path, query, self.headers.get("Authorization")))
                if url.path in DISCOVERY:
                    return self._json(200, DISCOVERY[url.path])
                if url.path in server.forbidden:
                    return self._json(403, {
                        "kind": "Status", "code": 403, "reason": "Forbidden",
                        "message": 'pods is forbidden: User "system:anonymous" cannot list resource '
                                   '"pods" in API group "" in the namespace "ns"'})
                kind = COLLECTIONS.get(url.path)
                if kind is None:
                    return self._json(404, {"kind": "Status", "code": 404, "message": "no " + url.path})
                if query.get("watch", "").lower() == "true":
                    return self._watch(kind, query)
                with server.cluster.lock:
                    items = [o for o in server.cluster.objects[kind].values()
                             if _match_fields(o, query.get("fieldSelector"))
                             and _match_labels(o, query.get("labelSelector"))]
                    rv = str(server.cluster.rv)
                return self._json(200, {"kind": "List", "items": items, "metadata": {"resourceVersion": rv}})

            def _json(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _chunk(self, data):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            def _watch(self, kind, query):
                start = int(query["resourceVersion"])
                if start < server.cluster.compacted[kind]:
                    return self._json(410, {"kind": "Status", "code": 410, "reason": "Expired",
                                            "message": "too old resource version: %d" % start})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                position = start
                deadline = time.monotonic() + int(query.get("timeoutSeconds", 5))
                sent = 0
                try:
                    while time.monotonic() < deadline and not server.stopping:
                        with server.cluster.lock:
                            pending = [e for e in server.cluster.history[kind] if e[0] > position]
                        for rv, etype, obj in pending:
                            position = rv
                            if (_match_fields(obj, query.get("fieldSelector"))
                                    and _match_labels(obj, query.get("labelSelector"))):
                                self._chunk(json.dumps({"type": etype, "object": obj}).encode() + b"\n")
                                sent += 1
                                if server.drop_next_watch.get(kind) == sent:
                                    del server.drop_next_watch[kind]
                                    self.wfile.write(b"5\r\n{\"ty")  # a torn chunk, then hang up
                                    self.wfile.flush()
                                    self.close_connection = True
                                    return
                        time.sleep(0.002)
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever)
        self.thread.daemon = True
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.httpd.server_address[1]

    def stop(self):
        self.stopping = True
        self.httpd.shutdown()
        self.httpd.server_close()

    def api_requests(self):
        return [r for r in self.requests if r[0] not in DISCOVERY]


@pytest.fixture
def env(monkeypatch, tmp_path):
    # kubernetes.core caches discovery in the temp dir: keep it out of /tmp
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for var in ("K8S_AUTH_KUBECONFIG", "KUBECONFIG", "K8S_AUTH_CONTEXT", "K8S_AUTH_HOST"):
        monkeypatch.delenv(var, raising=False)
    cluster = FakeCluster()
    server = FakeApiServer(cluster)
    yield cluster, server
    server.stop()


def rollout_steps(cluster, sts, replicas, unit):
    """Steps for an ordered rollout; returns the real-time offset of the last one."""
    for i in range(replicas):
        t = 1 + 3 * i
        cluster.at(t, ("pods", make_pod(i, namespace="ns", created=t)))
        cluster.at(t + 2, ("pods", make_pod(i, namespace="ns", ready=True, created=t, ready_time=t + 2)),
                   ("statefulsets", set_status(sts, replicas=i + 1, readyReplicas=i + 1,
                                               updatedReplicas=i + 1, currentReplicas=i + 1)))


def seed(cluster, replicas=3):
    sts = make_sts(namespace="ns", ready=0, replicas=replicas)
    cluster.put("statefulsets", sts)
    for i in range(replicas):
        cluster.put("persistentvolumeclaims", make_pvc("data-redis-%d" % i, namespace="ns"))
    return sts


def run_waiter(server, timeout=10):
    api = make_api(host=server.url, api_key="loopback-test-token")
    return RolloutWaiter(api, "redis", "ns", timeout).run()


def test_real_client_ordered_rollout(env):
    cluster, server = env
    sts = seed(cluster)
    rollout_steps(cluster, sts, 3, unit=0.01)
    began = time.monotonic()

    api = make_api(host=server.url, api_key="loopback-test-token")
    waiter = RolloutWaiter(api, "redis", "ns", 10)
    player = {}
    original = waiter._watch

    def watch_and_play(*args):
        player["thread"] = cluster.play_in_real_time(scale=0.01)
        return original(*args)

    waiter._watch = watch_and_play
    result = waiter.run()
    finished = time.monotonic()
    assert result["ready"] is True
    assert result["ready_order"] == ["redis-0", "redis-1", "redis-2"]
    assert [p["claims"][0]["phase"] for p in result["pods"]] == ["Bound"] * 3
    # exactly five requests: list sts, list pods, watch sts, watch pods, list pvcs
    assert result["api_requests"] == 5
    paths = [(p, q.get("watch") and q["watch"].lower()) for p, q, _auth in server.api_requests()]
    assert sorted(paths, key=str) == sorted([
        ("/apis/apps/v1/namespaces/ns/statefulsets", None),
        ("/api/v1/namespaces/ns/pods", None),
        ("/apis/apps/v1/namespaces/ns/statefulsets", "true"),
        ("/api/v1/namespaces/ns/pods", "true"),
        ("/api/v1/namespaces/ns/persistentvolumeclaims", None),
    ], key=str)
    watch_query = [q for p, q, _a in server.api_requests() if q.get("watch")][0]
    assert watch_query["allowWatchBookmarks"] in ("True", "true")
    assert watch_query["timeoutSeconds"] == "90"
    assert all(auth == "Bearer loopback-test-token" for _p, _q, auth in server.requests)
    # we reacted within milliseconds of the last change, not at the next 5 s poll
    player["thread"].join(2)
    reaction = finished - cluster.applied_at[-1]
    assert 0 <= reaction < 0.5, reaction
    assert finished - began < 3


def test_real_client_410_and_dropped_connection(env):
    cluster, server = env
    sts = seed(cluster, replicas=2)
    rollout_steps(cluster, sts, 2, unit=0.01)
    server.drop_next_watch["pods"] = 1  # the first pod event arrives, then the connection tears

    def compact():
        cluster.compact("statefulsets")

    cluster.at(0.5, compact)
    api = make_api(host=server.url, api_key="loopback-test-token")
    waiter = RolloutWaiter(api, "redis", "ns", 10)
    original = waiter._watch

    def watch_and_play(*args):
        cluster.play_in_real_time(scale=0.01)
        return original(*args)

    waiter._watch = watch_and_play
    result = waiter.run()
    assert result["ready"] is True
    assert result["watch"]["reconnects"] >= 1
    assert result["ready_order"] == ["redis-0", "redis-1"]


def test_real_client_forbidden_and_timeout(env):
    cluster, server = env
    # no StatefulSet at all: fails at once, one request
    with pytest.raises(WaitFailed) as info:
        run_waiter(server)
    assert "does not exist" in info.value.msg
    assert info.value.result["api_requests"] == 1

    seed(cluster, replicas=1)
    cluster.put("pods", make_pod(0, namespace="ns", phase="Pending", node=None, scheduled=False,
                                 unschedulable="0/1 nodes are available"))
    began = time.monotonic()
    with pytest.raises(WaitFailed) as info:
        run_waiter(server, timeout=1)
    assert 1 <= time.monotonic() - began < 3
    assert "Stuck at ordinal 0 (redis-0): Pending: not scheduled: Unschedulable" in info.value.msg
    # list sts, list pods, 2 watches, list pvcs, list events
    assert info.value.result["api_requests"] == 6


def test_real_client_http_403(env):
    cluster, server = env
    seed(cluster, replicas=1)
    server.forbidden.add("/api/v1/namespaces/ns/pods")
    began = time.monotonic()
    with pytest.raises(WaitFailed) as info:
        run_waiter(server, timeout=300)
    assert time.monotonic() - began < 2
    assert info.value.msg.startswith(
        'Access denied: list pods in namespace ns: HTTP 403: pods is forbidden: User "system:anonymous"')


def test_real_client_unknown_path_fails_without_waiting(env):
    cluster, server = env
    seed(cluster, replicas=1)
    original = COLLECTIONS.pop("/api/v1/namespaces/ns/pods")
    try:
        with pytest.raises(WaitFailed) as info:
            run_waiter(server)
    finally:
        COLLECTIONS["/api/v1/namespaces/ns/pods"] = original
    assert info.value.msg.startswith("Kubernetes API request failed: list pods in namespace ns: HTTP 404")
