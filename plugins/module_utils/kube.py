# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small, counted list/watch/get layer over kubernetes.core's API client.

The connection (kubeconfig, context, host, tokens, certificates, proxy,
impersonation) comes from kubernetes.core's ``get_api_client``; this module
only issues plain HTTP GETs through the client's ``request`` method, which has
the same signature in every kubernetes python client since v12 (no typed
models, no discovery). Objects come back as the plain dicts of the API's JSON.

Errors are translated into the small hierarchy below so that callers can tell
"fail now" (Forbidden, Unreachable at the start) from "reconnect" (WatchDropped,
Transient) and "relist" (Gone).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket

from http.client import HTTPException

try:
    from urllib3.exceptions import (
        ConnectTimeoutError,
        HTTPError as Urllib3HTTPError,
        MaxRetryError,
        NewConnectionError,
    )
except ImportError:  # pragma: no cover - urllib3 comes with the kubernetes client
    class Urllib3HTTPError(Exception):
        pass

    ConnectTimeoutError = NewConnectionError = MaxRetryError = Urllib3HTTPError

PATHS = {
    "statefulsets": "/apis/apps/v1/namespaces/{namespace}/statefulsets",
    "pods": "/api/v1/namespaces/{namespace}/pods",
    "persistentvolumeclaims": "/api/v1/namespaces/{namespace}/persistentvolumeclaims",
    "events": "/api/v1/namespaces/{namespace}/events",
}

CONNECT_TIMEOUT = 10
REQUEST_TIMEOUT = 30
WATCH_READ_SLACK = 30
LIST_PAGE_SIZE = 500


class KubeError(Exception):
    """An API request failed. ``status`` is the HTTP status, or None."""

    status = None

    def __init__(self, message, status=None, reason=None):
        super(KubeError, self).__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.reason = reason


class Unreachable(KubeError):
    """No HTTP answer at all: connection refused, DNS, TLS or connect timeout."""


class Forbidden(KubeError):
    """401 or 403: credentials or RBAC. Waiting does not fix it."""


class NotFound(KubeError):
    status = 404


class Gone(KubeError):
    """410: the resourceVersion is too old; relist."""

    status = 410


class Transient(KubeError):
    """429 or 5xx: the API server is busy or restarting; retry later."""


class WatchDropped(KubeError):
    """A watch stream broke (reset, read timeout, truncated chunk)."""


def _status_message(body):
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:500]
    if isinstance(data, dict):
        return data.get("message") or data.get("reason")
    return None


def translate(exc, what, streaming=False):
    """Map an exception from the client or urllib3 to a KubeError.

    ``streaming``: the exception came from reading an open watch, where any
    socket or protocol error means the stream broke (WatchDropped).
    """
    if isinstance(exc, KubeError):
        return exc
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        detail = _status_message(getattr(exc, "body", None)) or getattr(exc, "reason", None) or str(exc)
        text = "%s: HTTP %s: %s" % (what, status, detail)
        if status == 0:
            return Unreachable("%s: %s" % (what, getattr(exc, "reason", None) or exc))
        if status in (401, 403):
            return Forbidden(text, status, detail)
        if status == 404:
            return NotFound(text, status, detail)
        if status == 410:
            return Gone(text, status, detail)
        if status == 429 or status >= 500:
            return Transient(text, status, detail)
        return KubeError(text, status, detail)
    if isinstance(exc, MaxRetryError):
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, (NewConnectionError, ConnectTimeoutError)):
            return Unreachable("%s: %s" % (what, reason))
        return Transient("%s: %s" % (what, reason))
    if isinstance(exc, (NewConnectionError, ConnectTimeoutError, ConnectionRefusedError, socket.gaierror)):
        return Unreachable("%s: %s" % (what, exc))
    broken = (Urllib3HTTPError, OSError, HTTPException)
    if streaming and isinstance(exc, broken + (ValueError, AttributeError)):
        return WatchDropped("%s: %s: %s" % (what, type(exc).__name__, exc))
    if isinstance(exc, broken):
        return Transient("%s: %s: %s" % (what, type(exc).__name__, exc))
    return KubeError("%s: %s: %s" % (what, type(exc).__name__, exc))


class WatchStream:
    """An open watch: iterate for {'type', 'object'} dicts; close() from any thread.

    The body is split into lines by the kubernetes client's own watch reader,
    ``iter_resp_lines``: it joins chunks (bytes or str) that split a line, even
    inside a multi-byte character, and yields only complete lines. The API server
    ends every event with a newline; an unterminated tail is an event cut off by
    a broken connection, and the watch resumes before it.
    """

    def __init__(self, response, what):
        self._response = response
        self._what = what
        self.closed = False

    def __iter__(self):
        # kubernetes is there: make_api, the only maker of a KubeApi, imported it.
        from kubernetes.watch.watch import iter_resp_lines

        try:
            for line in iter_resp_lines(self._response):
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    raise WatchDropped("%s: undecodable watch event %r" % (self._what, line[:200]))
                yield event
        except KubeError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            if self.closed:
                return
            raise translate(exc, self._what, streaming=True)

    def close(self):
        self.closed = True
        for method in ("shutdown", "close", "release_conn"):
            func = getattr(self._response, method, None)
            if func is None:
                continue
            try:
                func()
            except Exception:  # pylint: disable=broad-except
                pass


class KubeApi:
    """Counted GET/list/watch on the few collections the wait needs.

    ``client`` is anything with kubernetes' DynamicClient ``request(method,
    path, **params)``: the ``.client`` of kubernetes.core's K8SClient.
    """

    def __init__(self, client, connect_timeout=CONNECT_TIMEOUT, request_timeout=REQUEST_TIMEOUT):
        self.client = client
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self.requests = {"list": 0, "watch": 0, "get": 0}

    @property
    def total_requests(self):
        return sum(self.requests.values())

    def _request(self, verb, what, path, read_timeout, **params):
        self.requests[verb] += 1
        try:
            return self.client.request(
                "GET",
                path,
                serialize=False,
                _request_timeout=(self.connect_timeout, read_timeout),
                **params
            )
        except Exception as exc:  # pylint: disable=broad-except
            raise translate(exc, what)

    @staticmethod
    def _read_json(response, what):
        try:
            data = response.data
            if isinstance(data, bytes):
                data = data.decode("utf-8")
            return json.loads(data)
        except Exception as exc:  # pylint: disable=broad-except
            raise translate(exc, what)
        finally:
            release = getattr(response, "release_conn", None)
            if release is not None:
                release()

    def list(self, kind, namespace, field_selector=None, label_selector=None):
        """All objects of a collection: (items, resourceVersion). Paginates."""
        items, resource_version, _truncated = self._list(
            kind, namespace, field_selector, label_selector, None
        )
        return items, resource_version

    def list_pages(self, kind, namespace, max_pages):
        """The objects of a collection's first ``max_pages`` pages: (items, truncated),
        truncated being True when the collection has more."""
        items, _resource_version, truncated = self._list(kind, namespace, None, None, max_pages)
        return items, truncated

    def _list(self, kind, namespace, field_selector, label_selector, max_pages):
        path = PATHS[kind].format(namespace=namespace)
        what = "list %s in namespace %s" % (kind, namespace)
        items = []
        token = None
        pages = 0
        resource_version = None
        while True:
            params = {"limit": LIST_PAGE_SIZE}
            if field_selector:
                params["field_selector"] = field_selector
            if label_selector:
                params["label_selector"] = label_selector
            if token:
                params["_continue"] = token
            response = self._request("list", what, path, self.request_timeout, **params)
            data = self._read_json(response, what)
            pages += 1
            items.extend(data.get("items") or [])
            metadata = data.get("metadata") or {}
            if resource_version is None:
                resource_version = metadata.get("resourceVersion")
            token = metadata.get("continue")
            if not token or (max_pages and pages >= max_pages):
                return items, resource_version, bool(token)

    def get(self, kind, namespace, name):
        """One object, or None when it does not exist."""
        path = PATHS[kind].format(namespace=namespace) + "/" + name
        what = "get %s %s/%s" % (kind, namespace, name)
        try:
            response = self._request("get", what, path, self.request_timeout)
        except NotFound:
            return None
        return self._read_json(response, what)

    def watch(self, kind, namespace, resource_version, timeout_seconds,
              field_selector=None, label_selector=None):
        """Open a watch from resource_version; returns a WatchStream."""
        path = PATHS[kind].format(namespace=namespace)
        what = "watch %s in namespace %s" % (kind, namespace)
        params = {
            "watch": True,
            "allow_watch_bookmarks": True,
            "resource_version": resource_version,
            "timeout_seconds": int(timeout_seconds),
        }
        if field_selector:
            params["field_selector"] = field_selector
        if label_selector:
            params["label_selector"] = label_selector
        response = self._request(
            "watch", what, path, int(timeout_seconds) + WATCH_READ_SLACK, **params
        )
        return WatchStream(response, what)


def make_api(module=None, **auth):
    """KubeApi from kubernetes.core's client: a module's auth options, or keyword
    arguments (kubeconfig=..., context=..., host=...) for integration tests."""
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import (
        get_api_client,
    )

    try:
        k8s_client = get_api_client(module=module, **auth)
    except Exception as exc:  # pylint: disable=broad-except
        raise translate(exc, "kubernetes.core client set-up")
    return KubeApi(k8s_client.client)
