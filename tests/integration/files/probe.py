"""Measurement helpers for the integration tests (loopback API server only).

  probe.py ready-times NAMESPACE SELECTOR COUNT TIMEOUT
      Watch the pods of SELECTOR in NAMESPACE and print, as JSON, the wall-clock time
      (time.time()) at which this process received each pod's first Ready=True, until
      COUNT pods have been seen Ready or TIMEOUT seconds passed.
  probe.py wait-watch RESOURCE TIMEOUT
      Wait until the API server serves at least one namespace-scoped WATCH on RESOURCE
      (apiserver_longrunning_requests), i.e. a waiter has started watching; exit 1 on timeout.
  probe.py delete-when-ready NAMESPACE POD TIMEOUT
      Watch pod POD and delete it the moment it is Ready; print its uid, as JSON.
  probe.py uncordon DELAY
      After DELAY seconds, uncordon the kwok nodes (label type=kwok).
  probe.py requests
      Print, as JSON, the API server's apiserver_request_total for GET, LIST and WATCH
      on statefulsets, pods, persistentvolumeclaims and events (from /metrics), so a
      test can count the read requests made between two snapshots.

KUBECONFIG selects the cluster.
"""
import json
import re
import sys
import time

from kubernetes import client, config, watch

READ_VERBS = ("GET", "LIST", "WATCH")
RESOURCES = ("statefulsets", "pods", "persistentvolumeclaims", "events")


def ready(pod):
    if pod.metadata.deletion_timestamp:
        return False
    for cond in (pod.status.conditions or []) if pod.status else []:
        if cond.type == "Ready":
            return cond.status == "True"
    return False


def ready_times(namespace, selector, count, timeout):
    v1 = client.CoreV1Api()
    deadline = time.time() + timeout
    seen = {}
    w = watch.Watch()
    print(json.dumps({"started": time.time()}), file=sys.stderr, flush=True)
    while len(seen) < count and time.time() < deadline:
        for event in w.stream(
            v1.list_namespaced_pod,
            namespace,
            label_selector=selector,
            timeout_seconds=max(1, int(deadline - time.time())),
        ):
            pod = event["object"]
            key = "%s/%s" % (pod.metadata.name, pod.metadata.uid)
            if event["type"] != "DELETED" and ready(pod) and key not in seen:
                seen[key] = time.time()
            if len(seen) >= count:
                w.stop()
                break
    out = {k.split("/")[0]: v for k, v in sorted(seen.items(), key=lambda kv: kv[1])}
    print(json.dumps({"ready_received": out, "last": max(seen.values()) if seen else None}))


def metrics(name):
    """Yield (labels, value) for the samples of metric NAME in the API server's /metrics."""
    api = client.ApiClient()
    # the admin kubeconfig authenticates with a client certificate, held by the pool
    resp = api.rest_client.request("GET", api.configuration.host + "/metrics")
    resp.read()
    pat = re.compile(r"^%s\{([^}]*)\} ([0-9.e+]+)$" % re.escape(name))
    for line in resp.data.decode().splitlines():
        m = pat.match(line)
        if m:
            yield dict(re.findall(r'(\w+)="([^"]*)"', m.group(1))), int(float(m.group(2)))


def requests():
    counts = {}
    for labels, value in metrics("apiserver_request_total"):
        if labels.get("verb") in READ_VERBS and labels.get("resource") in RESOURCES and not labels.get("subresource"):
            key = "%s %s" % (labels["verb"], labels["resource"])
            counts[key] = counts.get(key, 0) + value
    print(json.dumps(counts, sort_keys=True))


def wait_watch(resource, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for labels, value in metrics("apiserver_longrunning_requests"):
            if (labels.get("verb"), labels.get("resource"), labels.get("scope")) == ("WATCH", resource, "namespace") and value > 0:
                print(json.dumps({"watching": value, "at": time.time()}))
                return
        time.sleep(0.2)
    sys.exit("no namespace-scoped watch on %s within %ss" % (resource, timeout))


def delete_when_ready(namespace, name, timeout):
    v1 = client.CoreV1Api()
    deadline = time.time() + timeout
    w = watch.Watch()
    while time.time() < deadline:
        for event in w.stream(v1.list_namespaced_pod, namespace,
                              field_selector="metadata.name=" + name,
                              timeout_seconds=max(1, int(deadline - time.time()))):
            pod = event["object"]
            if event["type"] != "DELETED" and ready(pod):
                w.stop()
                v1.delete_namespaced_pod(name, namespace)
                print(json.dumps({"deleted_uid": pod.metadata.uid, "at": time.time()}))
                return
    sys.exit("pod %s/%s not Ready within %ss" % (namespace, name, timeout))


def uncordon(delay):
    time.sleep(delay)
    v1 = client.CoreV1Api()
    for node in v1.list_node(label_selector="type=kwok").items:
        v1.patch_node(node.metadata.name, {"spec": {"unschedulable": False}})
    print(json.dumps({"uncordoned": time.time()}))


def main(argv):
    config.load_kube_config()
    if argv[1] == "ready-times":
        ready_times(argv[2], argv[3], int(argv[4]), float(argv[5]))
    elif argv[1] == "wait-watch":
        wait_watch(argv[2], float(argv[3]))
    elif argv[1] == "delete-when-ready":
        delete_when_ready(argv[2], argv[3], float(argv[4]))
    elif argv[1] == "uncordon":
        uncordon(float(argv[2]))
    elif argv[1] == "requests":
        requests()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
