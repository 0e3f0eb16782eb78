# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""List and watch one collection, resuming as the API expects; run several at once.

* :class:`Reflector` lists and watches one collection and yields messages
  (``('sync', kind, items)``, ``('event', kind, type, object)``). It resumes a
  broken watch from the last resourceVersion, relists after 410 Gone, and backs
  off while the API server does not answer. It is a generator, so that a test
  can run it without the threads of the inbox below.
* :class:`ThreadedInbox` runs one reflector per thread and queues their
  messages; :meth:`ThreadedInbox.get` waits for the next one.

The API object is a :class:`kube.KubeApi` (or anything with the same ``list``
and ``watch``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import queue

from ansible_collections.stateful.nfs_redis.plugins.module_utils.kube import (
    Forbidden,
    Gone,
    Transient,
    Unreachable,
    WatchDropped,
)
from ansible_collections.stateful.nfs_redis.plugins.module_utils.objects import dig

WATCH_TIMEOUT_SECONDS = 90
BACKOFF_START = 0.2
BACKOFF_MAX = 5.0
HEALTHY_STREAM_SECONDS = 1.0
JOIN_SECONDS = 0.2


def backoff(failures):
    """Seconds to sleep before attempt number ``failures`` + 1 (first retry is immediate)."""
    if failures <= 1:
        return 0.0
    return min(BACKOFF_MAX, BACKOFF_START * (2 ** (failures - 2)))


class Reflector:
    """List and watch one collection, as a generator of messages."""

    def __init__(self, api, kind, namespace, field_selector=None, label_selector=None,
                 resource_version=None, watch_timeout=WATCH_TIMEOUT_SECONDS, clock=time.monotonic):
        self.api = api
        self.kind = kind
        self.namespace = namespace
        self.field_selector = field_selector
        self.label_selector = label_selector
        self.resource_version = resource_version
        self.watch_timeout = watch_timeout
        self.clock = clock
        self.stats = {"watches": 0, "relists": 0, "expired": 0, "reconnects": 0, "events": 0}
        self.failures = 0
        self.last_error = None
        self.connected = True
        self._stream = None
        self._lock = threading.Lock()

    def close(self):
        """Close the open watch (from any thread) so that a blocked read returns."""
        with self._lock:
            stream = self._stream
            self._stream = None
        if stream is not None:
            stream.close()

    def _selectors(self):
        return {"field_selector": self.field_selector, "label_selector": self.label_selector}

    def run(self, should_stop, sleep):
        """Yield messages until should_stop() is true. ``sleep(seconds)`` backs off.

        Raises KubeError subclasses that retrying cannot fix.
        """
        while not should_stop():
            try:
                if self.resource_version is None:
                    items, self.resource_version = self.api.list(
                        self.kind, self.namespace, **self._selectors()
                    )
                    self.connected = True
                    self.stats["relists"] += 1
                    yield ("sync", self.kind, items)
                yield from self._watch_once(should_stop)
            except Gone as exc:
                self.resource_version = None
                self.stats["expired"] += 1
                self.failures += 1
                self.last_error = exc
            except (WatchDropped, Transient, Unreachable) as exc:
                self.connected = False
                self.stats["reconnects"] += 1
                self.failures += 1
                self.last_error = exc
            else:
                continue
            delay = backoff(self.failures)
            if delay and not should_stop():
                sleep(delay)

    def _watch_once(self, should_stop):
        started = self.clock()
        stream = self.api.watch(
            self.kind,
            self.namespace,
            self.resource_version,
            self.watch_timeout,
            **self._selectors()
        )
        self.stats["watches"] += 1
        self.connected = True
        with self._lock:
            self._stream = stream
        got_event = False
        try:
            for event in stream:
                if should_stop():
                    return
                etype = event.get("type")
                obj = event.get("object") or {}
                if etype == "ERROR":
                    code = obj.get("code")
                    text = "watch %s: %s" % (self.kind, obj.get("message") or obj.get("reason") or obj)
                    if code == 410:
                        raise Gone(text)
                    if code in (401, 403):
                        raise Forbidden(text, code)
                    raise WatchDropped(text)
                got_event = True
                self.failures = 0
                version = dig(obj, "metadata", "resourceVersion")
                if version:
                    self.resource_version = version
                if etype == "BOOKMARK":
                    continue
                self.stats["events"] += 1
                yield ("event", self.kind, etype, obj)
        finally:
            with self._lock:
                self._stream = None
            stream.close()
        if should_stop():
            return  # closed by close(): not a dropped watch
        if not got_event and self.clock() - started < HEALTHY_STREAM_SECONDS:
            raise WatchDropped("watch %s: the stream ended at once" % self.kind)
        self.failures = 0


class ThreadedInbox:
    """Run reflectors in daemon threads; get() returns their next message."""

    def __init__(self, reflectors):
        self._queue = queue.Queue()
        self._stop = threading.Event()
        self._reflectors = list(reflectors)
        self._threads = []
        for reflector in self._reflectors:
            thread = threading.Thread(
                target=self._pump, args=(reflector,), name="watch-%s" % reflector.kind
            )
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    def _pump(self, reflector):
        try:
            for message in reflector.run(self._stop.is_set, self._stop.wait):
                if self._stop.is_set():
                    break
                self._queue.put(message)
        except Exception as exc:  # pylint: disable=broad-except
            if not self._stop.is_set():
                self._queue.put(("error", reflector.kind, exc))

    def get(self, timeout):
        try:
            return self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def close(self):
        self._stop.set()
        for reflector in self._reflectors:
            reflector.close()
        for thread in self._threads:
            thread.join(JOIN_SECONDS)
