# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP layer: request shapes, pagination, watch stream parsing, error mapping."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

kubernetes = pytest.importorskip("kubernetes")

from kubernetes.client.exceptions import ApiException  # noqa: E402
from kubernetes.dynamic.exceptions import api_exception  # noqa: E402
from urllib3.exceptions import (  # noqa: E402
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from ansible_collections.stateful.nfs_redis.plugins.module_utils import kube  # noqa: E402
from ansible_collections.stateful.nfs_redis.plugins.module_utils.kube import (  # noqa: E402
    Forbidden,
    Gone,
    KubeApi,
    KubeError,
    NotFound,
    Transient,
    Unreachable,
    WatchDropped,
    translate,
)


class FakeResponse:
    def __init__(self, data=b"", chunks=None, fail_after=None, fail_with=None):
        self.data = data
        self.chunks = chunks or []
        self.fail_with = fail_with
        self.fail_after = fail_after
        self.calls = []

    def stream(self, amt=None, decode_content=False):
        for index, chunk in enumerate(self.chunks):
            if self.fail_after is not None and index == self.fail_after:
                raise self.fail_with
            yield chunk
        if self.fail_after is not None and self.fail_after >= len(self.chunks):
            raise self.fail_with

    def release_conn(self):
        self.calls.append("release_conn")

    def close(self):
        self.calls.append("close")

    def shutdown(self):
        self.calls.append("shutdown")
        raise RuntimeError("already closed")


class FakeClient:
    def __init__(self, responses):
        self.responses = list(responses)
        self.requests = []

    def request(self, method, path, **params):
        self.requests.append((method, path, params))
        response = self.responses.pop(0)
        if isinstance(response, Exception):
            raise response
        return response


def page(items, rv="10", token=None):
    metadata = {"resourceVersion": rv}
    if token:
        metadata["continue"] = token
    return FakeResponse(json.dumps({"items": items, "metadata": metadata}).encode())


def http_error(status, message=None, body=None):
    exc = ApiException(status=status, reason="Reason%d" % status)
    if body is not None:
        exc.body = body
    elif message is not None:
        exc.body = json.dumps({"kind": "Status", "message": message, "code": status})
    return exc


# ---------------------------------------------------------------------------
# requests
# ---------------------------------------------------------------------------


def test_list_paginates_and_counts():
    client = FakeClient([page([{"a": 1}], rv="7", token="t1"), page([{"b": 2}], rv="8")])
    api = KubeApi(client)
    items, rv = api.list("pods", "ns", label_selector="app=redis", field_selector="x=y")
    assert items == [{"a": 1}, {"b": 2}]
    assert rv == "7"
    assert api.requests == {"list": 2, "watch": 0, "get": 0}
    assert api.total_requests == 2
    method, path, params = client.requests[0]
    assert (method, path) == ("GET", "/api/v1/namespaces/ns/pods")
    assert params == {"serialize": False, "_request_timeout": (10, 30), "limit": 500,
                      "label_selector": "app=redis", "field_selector": "x=y"}
    assert client.requests[1][2]["_continue"] == "t1"


def test_list_pages_says_whether_more_exist():
    client = FakeClient([page([1], token="t1"), page([1], token="t1"), page([2])])
    api = KubeApi(client)
    assert api.list_pages("events", "ns", 1) == ([1], True)
    assert client.requests[0][1] == "/api/v1/namespaces/ns/events"
    assert client.requests[0][2]["limit"] == 500 and "_continue" not in client.requests[0][2]
    assert api.list_pages("events", "ns", 3) == ([1, 2], False)
    assert client.requests[2][2]["_continue"] == "t1"
    assert api.requests["list"] == 3


def test_list_reads_str_data_and_rejects_garbage():
    client = FakeClient([FakeResponse(data='{"items": [], "metadata": {}}'),
                         FakeResponse(data=b"<html>")])
    api = KubeApi(client)
    assert api.list("statefulsets", "ns") == ([], None)
    assert client.requests[0][1] == "/apis/apps/v1/namespaces/ns/statefulsets"
    with pytest.raises(KubeError) as info:
        api.list("statefulsets", "ns")
    assert "list statefulsets in namespace ns: JSONDecodeError" in str(info.value)


def test_get_and_not_found():
    client = FakeClient([FakeResponse(data=b'{"metadata": {"name": "c"}}'),
                         api_exception(http_error(404, 'persistentvolumeclaims "x" not found'))])
    api = KubeApi(client)
    assert api.get("persistentvolumeclaims", "ns", "c") == {"metadata": {"name": "c"}}
    assert client.requests[0][1] == "/api/v1/namespaces/ns/persistentvolumeclaims/c"
    assert api.get("persistentvolumeclaims", "ns", "x") is None
    assert api.requests["get"] == 2


def test_request_errors_are_translated():
    client = FakeClient([api_exception(http_error(403, 'pods is forbidden: User "u" cannot list'))])
    with pytest.raises(Forbidden) as info:
        KubeApi(client).list("pods", "ns")
    assert str(info.value) == 'list pods in namespace ns: HTTP 403: pods is forbidden: User "u" cannot list'


# ---------------------------------------------------------------------------
# watch streams
# ---------------------------------------------------------------------------


def event(etype, name, rv):
    return {"type": etype, "object": {"metadata": {"name": name, "resourceVersion": rv}}}


def test_watch_request_and_stream_parsing():
    lines = [json.dumps(event("ADDED", "a", "1")),
             json.dumps(event("MODIFIED", "r\u00e9dis", "2"), ensure_ascii=False),
             json.dumps(event("DELETED", "a", "3"))]
    raw = (lines[0] + "\n\n" + lines[1] + "\n \n" + lines[2] + "\n").encode()
    inside = raw.index("\u00e9".encode()) + 1  # between the two bytes of the character
    # split mid-line, one str chunk, a character split between chunks, blank lines, and the
    # unterminated start of an event that a broken connection cut off
    chunks = [raw[:7], raw[7:50].decode(), raw[50:inside], raw[inside:], b'{"type": "ADDED", "obj']
    response = FakeResponse(chunks=chunks)
    client = FakeClient([response])
    api = KubeApi(client)
    stream = api.watch("pods", "ns", "42", 90, label_selector="app=redis")
    events = list(stream)
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert events[1]["object"]["metadata"]["name"] == "r\u00e9dis"
    method, path, params = client.requests[0]
    assert params == {"serialize": False, "_request_timeout": (10, 120), "watch": True,
                      "allow_watch_bookmarks": True, "resource_version": "42", "timeout_seconds": 90,
                      "label_selector": "app=redis"}
    assert api.requests["watch"] == 1
    stream.close()
    assert response.calls == ["shutdown", "close", "release_conn"]
    assert stream.closed


def test_watch_field_selector_passed():
    client = FakeClient([FakeResponse(chunks=[])])
    stream = KubeApi(client).watch("statefulsets", "ns", "1", 5, field_selector="metadata.name=r")
    assert list(stream) == []
    assert client.requests[0][2]["field_selector"] == "metadata.name=r"


def test_watch_broken_stream_raises_dropped():
    response = FakeResponse(chunks=[b'{"type": "ADDED", "object": {}}\n'], fail_after=1,
                            fail_with=ProtocolError("Connection broken: IncompleteRead"))
    stream = KubeApi(FakeClient([response])).watch("pods", "ns", "1", 5)
    iterator = iter(stream)
    assert next(iterator)["type"] == "ADDED"
    with pytest.raises(WatchDropped) as info:
        next(iterator)
    assert "ProtocolError" in str(info.value)


def test_watch_read_timeout_raises_dropped():
    response = FakeResponse(fail_after=0, fail_with=ReadTimeoutError(None, "/", "Read timed out."))
    with pytest.raises(WatchDropped):
        list(KubeApi(FakeClient([response])).watch("pods", "ns", "1", 5))


def test_watch_garbage_line_raises_dropped():
    response = FakeResponse(chunks=[b"not json\n"])
    with pytest.raises(WatchDropped) as info:
        list(KubeApi(FakeClient([response])).watch("pods", "ns", "1", 5))
    assert "undecodable watch event" in str(info.value)


def test_watch_error_after_close_ends_quietly():
    response = FakeResponse(chunks=[], fail_after=0, fail_with=AttributeError("'NoneType' has no 'read'"))
    stream = KubeApi(FakeClient([response])).watch("pods", "ns", "1", 5)
    stream.close()
    assert list(stream) == []


def test_watch_open_410():
    client = FakeClient([api_exception(http_error(410, "too old resource version: 1 (5)"))])
    with pytest.raises(Gone):
        KubeApi(client).watch("pods", "ns", "1", 5)


def test_close_tolerates_missing_methods():
    class Bare:
        def stream(self, amt=None, decode_content=False):
            return iter(())

    stream = kube.WatchStream(Bare(), "watch pods")
    stream.close()


# ---------------------------------------------------------------------------
# error mapping
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("status, cls", [
    (401, Forbidden), (403, Forbidden), (404, NotFound), (410, Gone), (429, Transient),
    (500, Transient), (503, Transient), (400, KubeError), (422, KubeError),
])
def test_translate_http_status(status, cls):
    result = translate(http_error(status, "msg %d" % status), "list pods")
    assert isinstance(result, cls) and result.__class__.__name__ == cls.__name__
    assert result.status == status
    assert str(result) == "list pods: HTTP %d: msg %d" % (status, status)


def test_translate_status_zero_is_unreachable():
    exc = ApiException(status=0, reason="SSLError\ncertificate verify failed")
    result = translate(exc, "list pods")
    assert isinstance(result, Unreachable)
    assert "certificate verify failed" in str(result)


def test_translate_bodies():
    assert str(translate(http_error(500, body="plain text\n"), "x")) == "x: HTTP 500: plain text"
    assert str(translate(http_error(500, body=b"[1]"), "x")) == "x: HTTP 500: Reason500"
    assert str(translate(http_error(500, body=""), "x")) == "x: HTTP 500: Reason500"
    dynamic = api_exception(http_error(403, "denied"))
    assert isinstance(translate(dynamic, "x"), Forbidden)


def test_translate_connection_errors():
    refused = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    result = translate(MaxRetryError(None, "/api", refused), "list pods")
    assert isinstance(result, Unreachable)
    assert str(result).startswith("list pods: ")
    assert "Connection refused" in str(result)
    assert isinstance(translate(refused, "x"), Unreachable)
    assert isinstance(translate(ConnectionRefusedError(111, "refused"), "x"), Unreachable)
    assert isinstance(translate(MaxRetryError(None, "/", ProtocolError("reset")), "x"), Transient)
    assert isinstance(translate(OSError("reset"), "x"), Transient)
    assert isinstance(translate(OSError("reset"), "x", streaming=True), WatchDropped)
    assert isinstance(translate(ValueError("bad"), "x", streaming=True), WatchDropped)
    other = translate(ValueError("bad"), "x")
    assert other.__class__ is KubeError and str(other) == "x: ValueError: bad"
    same = Gone("g")
    assert translate(same, "x") is same


def test_make_api_uses_kubernetes_core(monkeypatch):
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s import client as core_client

    seen = {}

    class K8SClient:
        client = "dynamic-client"

    def fake_get_api_client(module=None, **kwargs):
        seen.update(kwargs, module=module)
        return K8SClient()

    monkeypatch.setattr(core_client, "get_api_client", fake_get_api_client)
    api = kube.make_api(kubeconfig="/tmp/kc", context="kind")
    assert api.client == "dynamic-client"
    assert seen == {"kubeconfig": "/tmp/kc", "context": "kind", "module": None}

    def refused(module=None, **kwargs):
        raise MaxRetryError(None, "/version", NewConnectionError(None, "Connection refused"))

    monkeypatch.setattr(core_client, "get_api_client", refused)
    with pytest.raises(Unreachable) as info:
        kube.make_api(host="https://127.0.0.1:1")
    assert str(info.value).startswith("kubernetes.core client set-up: ")
    assert "Connection refused" in str(info.value)
