"""The measurements behind benchmarks/run (see benchmarks/README.md). Loopback only.

  bench.py waiters  --out FILE [--sizes 1,3,10,30] [--runs 5] [--waiters a,b,...]
  bench.py converge --out FILE [--reruns 3] [--ssa-runs 5]

Needs a running cluster of tests/cluster/cluster.sh started with AUDIT_POLICY=benchmarks/audit-policy.yaml
(CLUSTER_DIR in the environment) and BENCH_KUBECTL (kubectl built by benchmarks/kubectl/build.sh).
Runs under the test venv's Python (kubernetes client, PyYAML). Each waiter runs as its own
process with its own client certificate (CN bench:<waiter>, signed by the cluster CA), so the
API server's audit log attributes every request to it; nothing the waiters say about
themselves is counted.
"""

import argparse
import atexit
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

import yaml
from kubernetes import client, config

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
VENV_BIN = os.path.dirname(os.path.abspath(sys.executable))
CLUSTER_DIR = os.environ.get("CLUSTER_DIR", "")
AUDIT_LOG = os.path.join(CLUSTER_DIR, "logs", "audit.log")
KUBECTL = os.environ.get("BENCH_KUBECTL", "kubectl")
WORK = os.environ.get("BENCH_WORK") or os.path.join(CLUSTER_DIR, "bench")
NAMESPACE = "bench"
CONVERGE_NAMESPACE = "bench-redis"

# name -> (short name for object names, what it is)
WAITERS = {
    "statefulset_ready": ("sr", "stateful.nfs_redis.statefulset_ready (ansible-playbook, one task)"),
    "k8s_wait": ("k8s", "kubernetes.core.k8s state=present wait=true, defaults (wait_sleep 5)"),
    "k8s_info_pods": ("kinfo", "kubernetes.core.k8s_info wait=true on pod 0, 1, ... in turn (loop; Ready=True, wait_sleep 5)"),
    "kubectl_rollout": ("kctl", "kubectl rollout status statefulset (built from the control plane's k8s.io/kubernetes)"),
    "statefulset_ready_lib": ("lib", "diagnostic: statefulset_ready's wait_for_rollout() called in a plain Python process (no Ansible)"),
}
DEFAULT_WAITERS = ["statefulset_ready", "k8s_wait", "k8s_info_pods", "kubectl_rollout", "statefulset_ready_lib"]


def log(msg):
    print("bench: %s" % msg, file=sys.stderr, flush=True)


def parse_ts(text):
    """Audit timestamps (RFC 3339, microseconds, UTC) as time.time() seconds."""
    text = text.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc).timestamp()


def run(argv, **kwargs):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs).stdout


# --- the API server's record -----------------------------------------------------------


class AuditLog:
    """Reads the audit log incrementally; keeps the events the benchmark needs."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.partial = b""
        self.events = []

    def _keep(self, event):
        user = (event.get("user") or {}).get("username", "")
        ref = event.get("objectRef") or {}
        return user.startswith("bench:") or ref.get("namespace") in (NAMESPACE, CONVERGE_NAMESPACE)

    def read(self):
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        self.offset += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            if not line.strip():
                continue
            event = json.loads(line)
            if self._keep(event):
                event["_t"] = parse_ts(event["stageTimestamp"])
                self.events.append(event)

    def requests(self, user, since, until):
        """Requests by USER received in [since, until]: one per auditID (a watch has two stages)."""
        seen = {}
        for event in self.events:
            if (event.get("user") or {}).get("username") != user:
                continue
            received = parse_ts(event["requestReceivedTimestamp"])
            if since <= received <= until:
                seen.setdefault(event["auditID"], event)
        return sorted(seen.values(), key=lambda e: e["requestReceivedTimestamp"])

    def first_request(self, user, since, namespace=None):
        for event in self.requests(user, since, float("inf")):
            if namespace is None or (event.get("objectRef") or {}).get("namespace") == namespace:
                return parse_ts(event["requestReceivedTimestamp"])
        return None

    def pod_ready_times(self, namespace, prefix, since):
        """{pod: time of the first status write that left it Ready=True} (the kubelet's, here kwok's)."""
        out = {}
        for event in self.events:
            ref = event.get("objectRef") or {}
            if (ref.get("namespace") != namespace or ref.get("resource") != "pods" or ref.get("subresource") != "status"
                    or not (ref.get("name") or "").startswith(prefix) or event["_t"] < since):
                continue
            if event.get("stage") != "ResponseComplete" or (event.get("responseStatus") or {}).get("code", 200) >= 300:
                continue
            status = (event.get("responseObject") or {}).get("status") or {}
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
            if ready and ref["name"] not in out:
                out[ref["name"]] = {"t": event["_t"], "received": parse_ts(event["requestReceivedTimestamp"]),
                                    "lastTransitionTime": next(c.get("lastTransitionTime") for c in status["conditions"]
                                                               if c.get("type") == "Ready")}
        return out

    def sts_ready_time(self, namespace, name, replicas, since):
        """When the StatefulSet controller first wrote readyReplicas == replicas."""
        for event in self.events:
            ref = event.get("objectRef") or {}
            if (ref.get("namespace") == namespace and ref.get("resource") == "statefulsets" and ref.get("subresource") == "status"
                    and ref.get("name") == name and event["_t"] >= since and event.get("stage") == "ResponseComplete"):
                status = (event.get("responseObject") or {}).get("status") or {}
                if status.get("readyReplicas") == replicas and status.get("updatedReplicas") == replicas:
                    return event["_t"]
        return None


def request_key(event):
    ref = event.get("objectRef") or {}
    if not ref:
        return "%s %s" % (event["verb"], event.get("requestURI", "").split("?")[0])
    resource = ref.get("resource", "")
    if ref.get("subresource"):
        resource += "/" + ref["subresource"]
    return "%s %s" % (event["verb"], resource)


def count_requests(events):
    by_kind = {}
    for event in events:
        key = request_key(event)
        by_kind[key] = by_kind.get(key, 0) + 1
    discovery = sum(1 for e in events if not e.get("objectRef"))
    return {"total": len(events), "discovery": discovery, "by_kind": by_kind}


# --- identities ------------------------------------------------------------------------


def identity(name):
    """A kubeconfig whose client certificate says CN=bench:NAME (group system:masters)."""
    pki = os.path.join(CLUSTER_DIR, "pki")
    out = os.path.join(WORK, "identities")
    os.makedirs(out, exist_ok=True)
    key, crt, kubeconfig = (os.path.join(out, name + ext) for ext in (".key", ".crt", ".kubeconfig"))
    if os.path.exists(kubeconfig):
        return kubeconfig
    run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key])
    csr = run(["openssl", "req", "-new", "-key", key, "-subj", "/O=system:masters/CN=bench:%s" % name])
    ext = os.path.join(out, name + ".ext")
    with open(ext, "w") as handle:
        handle.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n")
    subprocess.run(["openssl", "x509", "-req", "-CA", os.path.join(pki, "ca.crt"), "-CAkey", os.path.join(pki, "ca.key"),
                    "-CAcreateserial", "-days", "30", "-extfile", ext, "-out", crt], input=csr, text=True, check=True,
                   capture_output=True)
    with open(os.path.join(CLUSTER_DIR, "kubeconfig")) as handle:
        admin = yaml.safe_load(handle)
    server = admin["clusters"][0]["cluster"]
    with open(crt) as c, open(key) as k:
        import base64  # pylint: disable=import-outside-toplevel
        user = {"client-certificate-data": base64.b64encode(c.read().encode()).decode(),
                "client-key-data": base64.b64encode(k.read().encode()).decode()}
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": "bench",
           "clusters": [{"name": "local", "cluster": server}],
           "users": [{"name": "bench:" + name, "user": user}],
           "contexts": [{"name": "bench", "context": {"cluster": "local", "user": "bench:" + name}}]}
    with open(kubeconfig, "w") as handle:
        yaml.safe_dump(doc, handle)
    os.chmod(kubeconfig, 0o600)
    return kubeconfig


# --- processes ---------------------------------------------------------------------------


def proc_status(pid):
    fields = {}
    try:
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                key, _sep, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    fields[key] = int(value.split()[0])
    except OSError:
        return None
    return fields


def children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as handle:
                out.extend(int(c) for c in handle.read().split())
    except OSError:
        pass
    return out


class TreeSampler(threading.Thread):
    """Samples a process tree every INTERVAL s: each process's peak RSS (VmHWM) and the tree's RSS sum."""

    INTERVAL = 0.05

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root = root
        self.stop = threading.Event()
        self.procs = {}  # pid -> {"cmd", "hwm_kb"}
        self.tree_rss_kb = 0

    def run(self):
        while not self.stop.is_set():
            pids, todo = [], [self.root]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(children(pid))
            total = 0
            for pid in pids:
                status = proc_status(pid)
                if not status or "VmRSS" not in status:
                    continue
                total += status["VmRSS"]
                info = self.procs.get(pid)
                if info is None:
                    try:
                        with open("/proc/%d/cmdline" % pid, "rb") as handle:
                            cmd = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
                    except OSError:
                        cmd = "?"
                    info = self.procs[pid] = {"cmd": cmd, "hwm_kb": 0}
                info["hwm_kb"] = max(info["hwm_kb"], status.get("VmHWM", 0))
            self.tree_rss_kb = max(self.tree_rss_kb, total)
            self.stop.wait(self.INTERVAL)

    def root_peak_kb(self):
        info = self.procs.get(self.root)
        return info["hwm_kb"] if info else None

    def peak_kb(self, pattern):
        values = [p["hwm_kb"] for p in self.procs.values() if re.search(pattern, p["cmd"])]
        return max(values) if values else None


class Proc:
    """A waiter process in its own session: start(), wait() -> (rc, exit time, ru_maxrss kB)."""

    def __init__(self, argv, env, cwd=REPO, stdout_path=None):
        self.argv = argv
        self.out = open(stdout_path or os.devnull, "w")  # pylint: disable=consider-using-with
        self.t_start = time.time()
        self.popen = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self.out, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        self.sampler = TreeSampler(self.popen.pid)
        self.sampler.start()

    def alive(self):
        return self.popen.poll() is None

    def wait(self, timeout):
        timer = threading.Timer(timeout, self.kill)
        timer.start()
        try:
            _pid, status, rusage = os.wait4(self.popen.pid, 0)
        finally:
            timer.cancel()
        t_exit = time.time()
        self.popen.returncode = os.waitstatus_to_exitcode(status)
        self.sampler.stop.set()
        self.sampler.join()
        self.out.close()
        return self.popen.returncode, t_exit, rusage.ru_maxrss

    def kill(self):
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except OSError:
            pass


def waiter_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBECONFIG", "K8S_AUTH_", "ANSIBLE_"))}
    env.update({
        "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
        "ANSIBLE_CONFIG": os.path.join(REPO, "ansible.cfg"),
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "bench_timings",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    })
    env.update(extra or {})
    return env


def read_timings(path):
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


# --- the cluster, as the driver sees it --------------------------------------------------


class Cluster:
    def __init__(self):
        self.kubeconfig = identity("driver")
        api = config.new_client_from_config(config_file=self.kubeconfig)
        self.core = client.CoreV1Api(api)
        self.apps = client.AppsV1Api(api)
        self.api = api

    def keep_nodes_alive(self, interval=5.0):
        """Renew a Lease per kwok node every INTERVAL s, in a daemon thread, as a kubelet does.

        kwok (as cluster.sh runs it) heartbeats through node status only, and it restarts its
        heartbeat delay whenever a node changes: the gate's cordon/uncordon every few seconds
        starves the heartbeat, the node lifecycle controller declares every node NotReady after
        50 s and marks the pods NotReady, which kwok never reverts. A Lease renewal is a
        heartbeat the controller accepts, and it changes nothing kwok watches.

        The thread is stopped, and waited for, when the process exits (atexit): a daemon thread
        still in an HTTP call while the interpreter shut down made the process abort (exit 134)
        after its results were written.
        """
        coordination = client.CoordinationV1Api(self.api)
        nodes = [n.metadata.name for n in self.core.list_node(label_selector="type=kwok").items]

        stop = threading.Event()

        def renew():
            while not stop.is_set():
                now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                for node in nodes:
                    body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                            "metadata": {"name": node, "namespace": "kube-node-lease"},
                            "spec": {"holderIdentity": node, "leaseDurationSeconds": 40, "renewTime": now}}
                    try:
                        coordination.patch_namespaced_lease(node, "kube-node-lease", {"spec": body["spec"]})
                    except client.ApiException as exc:
                        if exc.status != 404:
                            log("lease renewal of %s failed: %s" % (node, exc.reason))
                            continue
                        coordination.create_namespaced_lease("kube-node-lease", body)
                stop.wait(interval)

        thread = threading.Thread(target=renew, daemon=True, name="node-leases")
        thread.start()

        def stop_renewing():
            stop.set()
            thread.join()
        atexit.register(stop_renewing)

    def ensure_namespace(self, name):
        try:
            self.core.create_namespace({"metadata": {"name": name}})
        except client.ApiException as exc:
            if exc.status != 409:
                raise

    def gate(self, closed):
        for node in self.core.list_node(label_selector="type=kwok").items:
            self.core.patch_node(node.metadata.name, {"spec": {"unschedulable": closed}})

    def version(self):
        return client.VersionApi(self.api).get_code().git_version

    def wait_pods_gone(self, namespace, selector, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.core.list_namespaced_pod(namespace, label_selector=selector).items:
                return True
            time.sleep(0.25)
        return False


def statefulset(name, replicas):
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "serviceName": "bench",
            "replicas": replicas,
            "podManagementPolicy": "OrderedReady",
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"terminationGracePeriodSeconds": 0,
                         "containers": [{"name": "redis", "image": "redis:7.4", "ports": [{"containerPort": 6379}]}]},
            },
        },
    }


# --- waiters --------------------------------------------------------------------------------


def start_waiter(waiter, kubeconfig, name, replicas, rundir):
    definition = statefulset(name, replicas)
    timings = os.path.join(rundir, "timings.jsonl")
    env = waiter_env({"BENCH_TIMINGS_FILE": timings})
    stdout = os.path.join(rundir, "output.log")
    if waiter == "kubectl_rollout":
        argv = [KUBECTL, "--kubeconfig", kubeconfig, "--cache-dir", os.path.join(WORK, "kubectl-cache"),
                "-n", NAMESPACE, "rollout", "status", "statefulset/" + name, "--timeout=300s"]
    elif waiter == "statefulset_ready_lib":
        argv = [sys.executable, os.path.join(HERE, "lib_waiter.py"), kubeconfig, NAMESPACE, name]
        env["PYTHONPATH"] = os.path.join(REPO, ".collections")
    else:
        playbook = {"statefulset_ready": "wait_statefulset_ready.yml", "k8s_wait": "wait_k8s.yml",
                    "k8s_info_pods": "wait_k8s_info_pods.yml"}[waiter]
        varsfile = os.path.join(rundir, "vars.json")
        with open(varsfile, "w") as handle:
            json.dump({"bench_kubeconfig": kubeconfig, "bench_namespace": NAMESPACE, "bench_name": name,
                       "bench_replicas": replicas, "bench_definition": definition}, handle)
        argv = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,",
                os.path.join(HERE, "playbooks", playbook), "-e", "@" + varsfile]
    return Proc(argv, env, stdout_path=stdout)


WAIT_TASKS = {
    "statefulset_ready": "Wait for the StatefulSet",
    "k8s_wait": "Apply the StatefulSet and wait",
    "k8s_info_pods": "Wait for each pod to be Ready, in order",
}


POLLERS = ("k8s_wait", "k8s_info_pods")


def measure_waiter(cluster, audit, waiter, replicas, run_no):
    short = WAITERS[waiter][0]
    name = "b%d-%s-%d" % (replicas, short, run_no)
    # The gate opens 0.5 s after the waiter's first request. A poller's phase (when its next GET
    # comes, relative to the last Ready) would then be the same in every run of a size; a user's
    # poller has any phase. So for the pollers the gate opens after a further 0-5 s (one
    # wait_sleep), drawn from a generator seeded by the run's name: reproducible, and uniform.
    settle = 0.5 + (random.Random(name).uniform(0, 5) if waiter in POLLERS else 0)
    rundir = os.path.join(WORK, "runs", name)
    shutil.rmtree(rundir, ignore_errors=True)
    os.makedirs(rundir)
    user = "bench:" + waiter
    kubeconfig = identity(waiter)
    cluster.gate(True)
    cluster.apps.create_namespaced_stateful_set(NAMESPACE, statefulset(name, replicas))
    proc = start_waiter(waiter, kubeconfig, name, replicas, rundir)
    t_start = proc.t_start
    t_first = None
    deadline = time.time() + 120
    while time.time() < deadline and proc.alive():
        audit.read()
        t_first = audit.first_request(user, t_start, NAMESPACE)
        if t_first is not None:
            break
        time.sleep(0.05)
    time.sleep(settle)
    t_open = time.time()
    cluster.gate(False)
    rc, t_exit, maxrss_kb = proc.wait(timeout=400)
    time.sleep(1.0)  # let the API server finish writing the waiter's last audit events
    audit.read()
    result = {"waiter": waiter, "replicas": replicas, "run": run_no, "name": name, "rc": rc, "settle_s": settle,
              "t_start": t_start, "t_first_request": t_first, "t_gate_open": t_open, "t_exit": t_exit}
    ready = audit.pod_ready_times(NAMESPACE, name + "-", t_start)
    last_pod = "%s-%d" % (name, replicas - 1)
    t_ready = ready.get(last_pod, {}).get("t")
    result["t_last_ready"] = t_ready
    result["last_ready_received"] = ready.get(last_pod, {}).get("received")
    result["last_ready_transition"] = ready.get(last_pod, {}).get("lastTransitionTime")
    result["pods_ready"] = len(ready)
    result["t_sts_ready"] = audit.sts_ready_time(NAMESPACE, name, replicas, t_start)
    result["rollout_s"] = (t_ready - t_open) if t_ready else None
    timings = read_timings(os.path.join(rundir, "timings.jsonl"))
    t_return = t_exit
    if waiter in WAIT_TASKS:
        ends = [r["t"] for r in timings if r["event"] == "result" and r["task"] == WAIT_TASKS[waiter]]
        starts = [r["t"] for r in timings if r["event"] == "task_start" and r["task"] == WAIT_TASKS[waiter]]
        t_return = ends[-1] if ends else None
        result["t_task_start"] = starts[0] if starts else None
        result["t_playbook_end"] = next((r["t"] for r in timings if r["event"] == "playbook_end"), None)
    elif waiter == "statefulset_ready_lib":
        try:
            with open(os.path.join(rundir, "output.log")) as handle:
                out = json.loads(handle.read().strip().splitlines()[-1])
            t_return = out["t_return"]
            result["lib_api_requests"] = out.get("api_requests")
        except (OSError, ValueError, IndexError, KeyError):
            t_return = None
    result["t_return"] = t_return
    if t_ready and t_return:
        result["latency_s"] = t_return - t_ready
        result["latency_exit_s"] = t_exit - t_ready
    if result["t_sts_ready"] and t_ready:
        result["sts_status_lag_s"] = result["t_sts_ready"] - t_ready
    events = audit.requests(user, t_start, t_exit + 0.5)
    result["requests"] = count_requests(events)
    result["requests_after_first_ready"] = None
    # VmHWM is per address space and starts afresh at exec. wait4()'s ru_maxrss does not: Linux
    # carries the forked driver's RSS across exec into it, so it is kept for reference only.
    result["rss_kb"] = {
        "max_process": proc.sampler.peak_kb("."),  # the largest VmHWM of any process of the tree
        "wait4_maxrss_inflated": maxrss_kb,
        "tree_sum": proc.sampler.tree_rss_kb,  # sampled every 50 ms: sum of the tree's RSS
        "module": proc.sampler.peak_kb(r"AnsiballZ_"),  # the module's own process (Ansible waiters)
    }
    result["rss_kb"]["waiter"] = result["rss_kb"]["module"] if waiter in WAIT_TASKS else proc.sampler.root_peak_kb()
    problems = []
    if rc != 0:
        problems.append("exit code %s" % rc)
    if not t_ready:
        problems.append("no Ready transition of %s in the audit log" % last_pod)
    if t_first is None or (t_ready and t_first > t_ready):
        problems.append("the waiter made no request before the last pod became Ready")
    if t_return is None:
        problems.append("no return time")
    result["problems"] = problems
    if problems:
        with open(os.path.join(rundir, "output.log")) as handle:
            result["output_tail"] = handle.read()[-3000:]
    cluster.apps.delete_namespaced_stateful_set(name, NAMESPACE, propagation_policy="Background")
    cluster.wait_pods_gone(NAMESPACE, "app=" + name)
    return result


def summarize(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "worst": max(values), "best": min(values), "n": len(values)}


def cmd_waiters(args):
    cluster = Cluster()
    cluster.keep_nodes_alive()
    audit = AuditLog(AUDIT_LOG)
    cluster.ensure_namespace(NAMESPACE)
    try:
        cluster.core.create_namespaced_service(NAMESPACE, {"metadata": {"name": "bench"},
                                                           "spec": {"clusterIP": "None", "selector": {"bench": "none"},
                                                                    "ports": [{"port": 6379}]}})
    except client.ApiException as exc:
        if exc.status != 409:
            raise
    waiters = args.waiters.split(",")
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {"waiters": {w: WAITERS[w][1] for w in waiters}, "sizes": sizes, "runs": args.runs, "raw": [], "warmup": []}
    loads = []
    # One unmeasured run per waiter first: discovery caches (kubectl's, kubernetes.core's) filled,
    # Python byte code compiled, as on any machine that has run these tools before.
    for waiter in waiters:
        res = measure_waiter(cluster, audit, waiter, 1, 0)
        results["warmup"].append(res)
        log("warm-up %-22s latency %s requests %s %s" % (waiter, fmt(res.get("latency_s")), res["requests"]["total"], res["problems"] or ""))
    for replicas in sizes:
        for run_no in range(1, args.runs + 1):
            order = waiters[run_no % len(waiters):] + waiters[:run_no % len(waiters)]  # rotate: no waiter always first
            for waiter in order:
                loads.append(os.getloadavg()[0])
                res = measure_waiter(cluster, audit, waiter, replicas, run_no)
                res["load1"] = loads[-1]
                results["raw"].append(res)
                log("n=%-2d run %d %-22s latency %s (exit %s) requests %-3s rss %s MB %s" % (
                    replicas, run_no, waiter, fmt(res.get("latency_s")), fmt(res.get("latency_exit_s")),
                    res["requests"]["total"], (res["rss_kb"]["waiter"] or 0) // 1024, res["problems"] or ""))
    results["load1_during"] = summarize(loads)
    results["summary"] = {}
    for waiter in waiters:
        for replicas in sizes:
            rows = [r for r in results["raw"] if r["waiter"] == waiter and r["replicas"] == replicas and not r["problems"]]
            results["summary"]["%s/%d" % (waiter, replicas)] = {
                "ok_runs": len(rows),
                "failed_runs": len([r for r in results["raw"] if r["waiter"] == waiter and r["replicas"] == replicas and r["problems"]]),
                "latency_s": summarize([r.get("latency_s") for r in rows]),
                "latency_exit_s": summarize([r.get("latency_exit_s") for r in rows]),
                "sts_status_lag_s": summarize([r.get("sts_status_lag_s") for r in rows]),
                "requests": summarize([r["requests"]["total"] for r in rows]),
                "rollout_s": summarize([r.get("rollout_s") for r in rows]),
                "rss_waiter_mb": summarize([(r["rss_kb"]["waiter"] or 0) / 1024.0 for r in rows]),
                "rss_tree_mb": summarize([r["rss_kb"]["tree_sum"] / 1024.0 for r in rows]),
                "rss_max_process_mb": summarize([(r["rss_kb"]["max_process"] or 0) / 1024.0 for r in rows]),
                "requests_by_kind": rows[-1]["requests"]["by_kind"] if rows else {},
            }
    write_json(args.out, "waiters", results)


def fmt(value):
    return "-" if value is None else "%.3f" % value


def write_json(path, key, data):
    doc = {}
    if os.path.exists(path):
        with open(path) as handle:
            doc = json.load(handle)
    doc[key] = data
    doc.setdefault("environment", {}).update(environment())
    with open(path, "w") as handle:
        json.dump(doc, handle, indent=1, sort_keys=True)
    log("wrote %s (%s)" % (path, key))


# --- converge -------------------------------------------------------------------------------


def converge_inventory(kubeconfig):
    path = os.path.join(WORK, "converge-inventory.yml")
    inventory = {"all": {"children": {
        # Never contacted (--limit k8s_api): the NFS server's address and export path are read from it.
        "nfs_server": {"hosts": {"bench-nfs-server": {"nfs_server_address": "127.0.0.1", "nfs_server_exports": [{"path": "/data/nfs"}]}}},
        "k8s_nodes": {"hosts": {"bench-node": {}}},
        "k8s_api": {"hosts": {"localhost": {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "nfs_provisioner_kubeconfig": kubeconfig,
            "redis_kubeconfig": kubeconfig,
            "nfs_provisioner_leader_election": False,
            "nfs_provisioner_wait_timeout": 180,
            "redis_namespace": CONVERGE_NAMESPACE,
            "redis_create_namespace": True,
            "redis_wait_timeout": 180,
        }}},
    }}}
    with open(path, "w") as handle:
        yaml.safe_dump(inventory, handle)
    return path


def profile(timings, t_start, t_exit):
    """Where an ansible-playbook run's time went, from the callback's task times."""
    tasks = {}
    order = []
    for rec in timings:
        if rec["event"] == "task_start":
            tasks[rec["uuid"]] = dict(rec, start=rec["t"], end=None, status=None, changed=False)
            order.append(rec["uuid"])
        elif rec["event"] == "result" and rec["uuid"] in tasks:
            task = tasks[rec["uuid"]]
            task["end"] = rec["t"]
            task["status"] = rec["status"]
            task["changed"] = task["changed"] or rec["changed"]
    rows = []
    for i, uuid in enumerate(order):
        task = tasks[uuid]
        # A task's time: from its start to the start of the next task (includes the strategy's own
        # work between tasks, e.g. includes and templating), the last one to the playbook's end.
        nxt = tasks[order[i + 1]]["start"] if i + 1 < len(order) else next(
            (r["t"] for r in timings if r["event"] == "playbook_end"), t_exit)
        rows.append({"task": task["task"], "role": task["role"], "action": task["action"], "status": task["status"],
                     "changed": task["changed"], "seconds": nxt - task["start"],
                     "result_seconds": (task["end"] - task["start"]) if task["end"] else None})
    first = tasks[order[0]]["start"] if order else t_exit
    last_end = next((r["t"] for r in timings if r["event"] == "playbook_end"), t_exit)
    by_action, by_role = {}, {}
    for row in rows:
        for key, table in ((row["action"], by_action), (row["role"] or "(play)", by_role)):
            entry = table.setdefault(key, {"tasks": 0, "seconds": 0.0})
            entry["tasks"] += 1
            entry["seconds"] += row["seconds"]
    executed = [r for r in rows if r["status"] in ("ok", "failed")]
    return {
        "wall_s": t_exit - t_start,
        "startup_s": first - t_start,
        "shutdown_s": t_exit - last_end,
        "tasks_started": len(rows),
        "tasks_executed": len(executed),
        "tasks_skipped": len([r for r in rows if r["status"] == "skipped"]),
        "tasks_no_result": len([r for r in rows if r["status"] is None]),
        "changed": len([r for r in rows if r["changed"]]),
        "failed": len([r for r in rows if r["status"] == "failed"]),
        "by_action": by_action,
        "by_role": by_role,
        "top": sorted(rows, key=lambda r: -r["seconds"])[:12],
        "task_seconds": summarize([r["seconds"] for r in rows]),
        "tasks": rows,
    }


def ansible_run(argv, name, extra_env=None):
    rundir = os.path.join(WORK, "converge", name)
    shutil.rmtree(rundir, ignore_errors=True)
    os.makedirs(rundir)
    timings = os.path.join(rundir, "timings.jsonl")
    env = waiter_env(dict({"BENCH_TIMINGS_FILE": timings}, **(extra_env or {})))
    proc = Proc([os.path.join(VENV_BIN, "ansible-playbook")] + argv, env, stdout_path=os.path.join(rundir, "output.log"))
    rc, t_exit, maxrss = proc.wait(timeout=900)
    out = profile(read_timings(timings), proc.t_start, t_exit)
    out.update(rc=rc, t_start=proc.t_start, t_exit=t_exit, rss_max_process_mb=(proc.sampler.peak_kb(".") or 0) / 1024.0,
               wait4_maxrss_inflated_mb=maxrss / 1024.0,
               rss_tree_mb=proc.sampler.tree_rss_kb / 1024.0, log=os.path.join(rundir, "output.log"))
    if rc != 0:
        with open(out["log"]) as handle:
            out["output_tail"] = handle.read()[-4000:]
        log("%s failed (rc %s), log %s" % (name, rc, out["log"]))
    return out


def timed(argv, env=None):
    t0 = time.time()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return time.time() - t0, proc


def cmd_converge(args):
    cluster = Cluster()
    cluster.keep_nodes_alive()
    audit = AuditLog(AUDIT_LOG)
    kubeconfig = identity("converge")
    inventory = converge_inventory(kubeconfig)
    site = ["-i", inventory, os.path.join(REPO, "site.yml"), "--limit", "k8s_api"]
    res = {"command": "ansible-playbook -i <inventory> site.yml --limit k8s_api", "runs": []}

    def counted(entry, user="bench:converge"):
        time.sleep(1.0)
        audit.read()
        entry["requests"] = count_requests(audit.requests(user, entry["t_start"], entry["t_exit"] + 0.5))
        return entry

    first = counted(ansible_run(site, "first"))
    first["kind"] = "first"
    res["runs"].append(first)
    log("first run: %.1f s, %d tasks (%d changed), %d requests, rc %s" % (
        first["wall_s"], first["tasks_started"], first["changed"], first["requests"]["total"], first["rc"]))
    for i in range(args.reruns):
        again = counted(ansible_run(site, "rerun-%d" % (i + 1)))
        again["kind"] = "rerun"
        res["runs"].append(again)
        log("re-run %d: %.1f s, %d tasks (%d changed), %d requests, rc %s" % (
            i + 1, again["wall_s"], again["tasks_started"], again["changed"], again["requests"]["total"], again["rc"]))
    # The same objects, rendered by playbooks/render.yml, applied once with kubectl's server-side
    # apply (same field manager as the roles), then kubectl's own wait on the two workloads.
    render_dir = os.path.join(WORK, "render")
    rend = ansible_run(["-i", inventory, os.path.join(REPO, "playbooks", "render.yml"), "-e", "render_dir=" + render_dir], "render")
    files = sorted(os.path.join(render_dir, f) for f in os.listdir(render_dir) if f.endswith(".yaml"))
    ssa_kubeconfig = identity("ssa")
    cache = ["--cache-dir", os.path.join(WORK, "kubectl-cache")]
    apply_argv = [KUBECTL, "--kubeconfig", ssa_kubeconfig] + cache + [
        "apply", "--server-side", "--force-conflicts", "--field-manager=stateful.nfs_redis"]
    for f in files:
        apply_argv += ["-f", f]
    wait_argvs = [[KUBECTL, "--kubeconfig", ssa_kubeconfig] + cache + ["-n", "kube-system", "rollout", "status", "deployment/nfs-client-provisioner"],
                  [KUBECTL, "--kubeconfig", ssa_kubeconfig] + cache + ["-n", CONVERGE_NAMESPACE, "rollout", "status", "statefulset/redis-sts"]]
    ssa = []
    for _run in range(args.ssa_runs):
        t0 = time.time()
        t_apply, proc = timed(apply_argv)
        if proc.returncode:
            raise SystemExit("kubectl apply failed: %s" % proc.stderr)
        unchanged = proc.stdout.count("serverside-applied")
        t_wait = 0.0
        for argv in wait_argvs:
            secs, wproc = timed(argv)
            if wproc.returncode:
                raise SystemExit("kubectl rollout status failed: %s" % wproc.stderr)
            t_wait += secs
        entry = counted({"t_start": t0, "t_exit": time.time(), "apply_s": t_apply, "wait_s": t_wait, "objects": unchanged}, "bench:ssa")
        ssa.append(entry)
    res["ssa"] = {"files": [os.path.basename(f) for f in files], "runs": ssa,
                  "apply_s": summarize([s["apply_s"] for s in ssa]), "wait_s": summarize([s["wait_s"] for s in ssa]),
                  "requests": summarize([s["requests"]["total"] for s in ssa]), "render_wall_s": rend["wall_s"]}
    # What one Ansible run needs at the least for the same job: one task applying every rendered
    # object (one module call, server-side apply), one statefulset_ready task.
    floor_vars = os.path.join(WORK, "floor-vars.json")
    objects = []
    for f in files:
        with open(f) as handle:
            objects.extend(d for d in yaml.safe_load_all(handle) if d)
    with open(floor_vars, "w") as handle:
        json.dump({"bench_kubeconfig": kubeconfig, "bench_objects": objects, "bench_namespace": CONVERGE_NAMESPACE,
                   "bench_name": "redis-sts"}, handle)
    floors = []
    for i in range(args.reruns):
        floor = counted(ansible_run(["-i", "localhost,", os.path.join(HERE, "playbooks", "apply_floor.yml"), "-e", "@" + floor_vars],
                                    "floor-%d" % (i + 1)))
        floors.append(floor)
        log("floor run %d: %.1f s, %d tasks (%d changed), %d requests" % (
            i + 1, floor["wall_s"], floor["tasks_started"], floor["changed"], floor["requests"]["total"]))
    res["floor"] = floors
    reruns = [r for r in res["runs"] if r["kind"] == "rerun"]
    res["summary"] = {
        "first_wall_s": first["wall_s"],
        "rerun_wall_s": summarize([r["wall_s"] for r in reruns]),
        "rerun_changed": max(r["changed"] for r in reruns) if reruns else None,
        "rerun_tasks": reruns[0]["tasks_started"] if reruns else None,
        "rerun_requests": summarize([r["requests"]["total"] for r in reruns]),
        "ssa_bound_s": res["ssa"]["apply_s"]["median"] + res["ssa"]["wait_s"]["median"],
        "floor_wall_s": summarize([f["wall_s"] for f in floors]),
    }
    if reruns:
        bound = res["summary"]["ssa_bound_s"]
        med = res["summary"]["rerun_wall_s"]["median"]
        res["summary"]["per_task_overhead_s"] = (med - bound) / max(1, res["summary"]["rerun_tasks"])
    # drop the full task lists of all but one run per kind (the JSON stays readable)
    for run_entry in res["runs"][2:] + floors[1:]:
        run_entry.pop("tasks", None)
    write_json(args.out, "converge", res)
    cleanup_converge(cluster)


def cleanup_converge(cluster):
    """Delete what site.yml created in the benchmark namespace; the provisioner removes the volumes."""
    core = cluster.core
    try:
        cluster.apps.delete_namespaced_stateful_set("redis-sts", CONVERGE_NAMESPACE)
    except client.ApiException:
        pass
    cluster.wait_pods_gone(CONVERGE_NAMESPACE, "")
    for pvc in core.list_namespaced_persistent_volume_claim(CONVERGE_NAMESPACE).items:
        core.delete_namespaced_persistent_volume_claim(pvc.metadata.name, CONVERGE_NAMESPACE)
    deadline = time.time() + 60
    while time.time() < deadline:
        pvs = [pv for pv in core.list_persistent_volume().items
               if pv.spec.claim_ref and pv.spec.claim_ref.namespace == CONVERGE_NAMESPACE]
        if not pvs:
            break
        time.sleep(0.5)


# --- environment ---------------------------------------------------------------------------


def environment():
    def first_line(argv):
        try:
            return run(argv).strip().splitlines()[0]
        except (OSError, subprocess.CalledProcessError, IndexError):
            return None

    import ansible  # pylint: disable=import-outside-toplevel
    import kubernetes  # pylint: disable=import-outside-toplevel
    core = os.path.join(os.path.dirname(ansible.__file__), "..", "ansible_collections", "kubernetes", "core", "MANIFEST.json")
    try:
        with open(core) as handle:
            k8s_core = json.load(handle)["collection_info"]["version"]
    except (OSError, ValueError, KeyError):
        k8s_core = None
    cpu = None
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), None)
    except OSError:
        pass
    with open("/proc/meminfo") as handle:
        mem_kb = int(handle.readline().split()[1])
    bins = os.environ.get("BENCH_CLUSTER_BIN", "")
    env = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_kb / 1024.0 / 1024.0, 1),
        "kernel": platform.release(),
        "os": first_line(["sh", "-c", ". /etc/os-release && echo \"$PRETTY_NAME\""]),
        "python": platform.python_version(),
        "ansible_core": first_line([os.path.join(VENV_BIN, "ansible"), "--version"]),
        "kubernetes_core": k8s_core,
        "kubernetes_python_client": kubernetes.__version__,
        "kubectl": first_line([KUBECTL, "version", "--client"]),
        "kwok": first_line([os.path.join(bins, "kwok"), "--version"]) if bins else None,
        "etcd": first_line([os.path.join(bins, "etcd"), "--version"]) if bins else None,
        "load_average_now": os.getloadavg(),
        "kwok_pod_ready_delay": os.environ.get("KWOK_POD_READY_DELAY"),
    }
    try:
        env["kubernetes_server"] = Cluster().version()
    except Exception:  # pylint: disable=broad-except
        env["kubernetes_server"] = None
    return env


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    wait = sub.add_parser("waiters")
    wait.add_argument("--out", required=True)
    wait.add_argument("--sizes", default="1,3,10,30")
    wait.add_argument("--runs", type=int, default=5)
    wait.add_argument("--waiters", default=",".join(DEFAULT_WAITERS))
    conv = sub.add_parser("converge")
    conv.add_argument("--out", required=True)
    conv.add_argument("--reruns", type=int, default=3)
    conv.add_argument("--ssa-runs", type=int, default=5)
    args = parser.parse_args(argv)
    if not CLUSTER_DIR or not os.path.exists(AUDIT_LOG):
        raise SystemExit("bench: no audit log at %r: start the cluster with AUDIT_POLICY (benchmarks/run does)" % AUDIT_LOG)
    os.makedirs(WORK, exist_ok=True)
    {"waiters": cmd_waiters, "converge": cmd_converge}[args.cmd](args)


if __name__ == "__main__":
    main(sys.argv[1:])
