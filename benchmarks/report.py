"""Tables and chart from benchmarks/results/results.json (benchmarks/run report).

  report.py RESULTS_JSON OUT_DIR README

Writes OUT_DIR/results.md and OUT_DIR/benchmark.png, and replaces the text between the
markers <!-- benchmarks:begin --> and <!-- benchmarks:end --> in README with the summary table.
Runs in the chart's own venv (matplotlib, benchmarks/requirements.txt).
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position

LABELS = {
    "statefulset_ready": "stateful.nfs_redis.statefulset_ready",
    "k8s_wait": "kubernetes.core.k8s wait: true",
    "k8s_info_pods": "kubernetes.core.k8s_info wait, pod by pod",
    "kubectl_rollout": "kubectl rollout status",
    "statefulset_ready_lib": "(diagnostic) statefulset_ready loop, no Ansible",
}
MAIN = ["statefulset_ready", "k8s_wait", "k8s_info_pods", "kubectl_rollout"]
BEGIN, END = "<!-- benchmarks:begin -->", "<!-- benchmarks:end -->"


def ms(value):
    return "-" if value is None else "%.0f ms" % (value * 1000) if value < 1 else "%.2f s" % value


def stat(entry, key, field="median"):
    value = (entry or {}).get(key)
    return value.get(field) if value else None


def environment_lines(env, waiters):
    load = waiters.get("load1_during") or {}
    return [
        "Measured %s on %s CPUs (%s), %s GiB, %s, kernel %s; Python %s, %s, kubernetes.core %s, kubernetes client %s; "
        "Kubernetes %s (etcd %s, kwok %s); %s; kwok pod ready delay %s; load average (1 min) during the waiter runs "
        "median %.1f, worst %.1f: the machine was shared with other engineers' builds and tests." % (
            env.get("date"), env.get("cpus"), env.get("cpu_model"), env.get("memory_gib"), env.get("os"), env.get("kernel"),
            env.get("python"), env.get("ansible_core"), env.get("kubernetes_core"), env.get("kubernetes_python_client"),
            env.get("kubernetes_server"), (env.get("etcd") or "").replace("etcd Version: ", ""), env.get("kwok"),
            env.get("kubectl"), env.get("kwok_pod_ready_delay"), load.get("median") or 0, load.get("worst") or 0),
    ]


def waiter_table(waiters, names):
    summary = waiters["summary"]
    rows = ["| waiter | replicas | latency median | latency worst | process exit (median) | API requests (median, min-max) "
            "| peak RSS, waiter process | peak RSS, whole tree | ok runs |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for waiter in names:
        for size in waiters["sizes"]:
            entry = summary.get("%s/%d" % (waiter, size))
            if not entry:
                continue
            req = entry.get("requests") or {}
            rows.append("| %s | %d | %s | %s | %s | %s (%s-%s) | %s MB | %s MB | %d/%d |" % (
                LABELS[waiter], size, ms(stat(entry, "latency_s")), ms(stat(entry, "latency_s", "worst")),
                ms(stat(entry, "latency_exit_s")), fmt_num(req.get("median")), fmt_num(req.get("best")), fmt_num(req.get("worst")),
                fmt_num(stat(entry, "rss_waiter_mb")), fmt_num(max(stat(entry, "rss_tree_mb") or 0, stat(entry, "rss_waiter_mb") or 0)),
                entry["ok_runs"], entry["ok_runs"] + entry["failed_runs"]))
    return rows


def fmt_num(value):
    if value is None:
        return "-"
    return "%d" % round(value)


def compact_table(waiters):
    """README: one row per waiter, latency and requests per size."""
    sizes = waiters["sizes"]
    head = "| waiter | " + " | ".join("%d replicas: latency median (worst), requests" % s for s in sizes) + " | peak RSS (waiter) |"
    rows = [head, "|---|" + "---:|" * len(sizes) + "---:|"]
    for waiter in MAIN:
        cells = []
        rss = []
        for size in sizes:
            entry = waiters["summary"].get("%s/%d" % (waiter, size)) or {}
            cells.append("%s (%s), %s" % (ms(stat(entry, "latency_s")), ms(stat(entry, "latency_s", "worst")),
                                          fmt_num(stat(entry, "requests"))))
            if stat(entry, "rss_waiter_mb"):
                rss.append(stat(entry, "rss_waiter_mb"))
        rows.append("| %s | %s | %s MB |" % (LABELS[waiter], " | ".join(cells), fmt_num(max(rss) if rss else None)))
    return rows


def breakdown(waiters):
    rows = ["| replicas | last pod Ready -> StatefulSet status readyReplicas | -> loop returns (no Ansible) | -> Ansible task returns "
            "| -> ansible-playbook exits |", "|---:|---:|---:|---:|---:|"]
    summary = waiters["summary"]
    for size in waiters["sizes"]:
        ours = summary.get("statefulset_ready/%d" % size) or {}
        lib = summary.get("statefulset_ready_lib/%d" % size) or {}
        rows.append("| %d | %s | %s | %s | %s |" % (
            size, ms(stat(ours, "sts_status_lag_s")), ms(stat(lib, "latency_s")),
            ms(stat(ours, "latency_s")), ms(stat(ours, "latency_exit_s"))))
    return rows


def targets(waiters, converge):
    out = []
    lat = [stat(waiters["summary"].get("statefulset_ready/%d" % s), "latency_s") for s in waiters["sizes"]]
    ok = all(v is not None and v < 0.2 for v in lat)
    out.append("- Median detection latency under 0.2 s at every size: **%s** (%s)." % (
        "met" if ok else "missed", ", ".join("%d: %s" % (s, ms(v)) for s, v in zip(waiters["sizes"], lat))))
    reqs = [stat(waiters["summary"].get("statefulset_ready/%d" % s), "requests", "worst") for s in waiters["sizes"]]
    rollout = [stat(waiters["summary"].get("statefulset_ready/%d" % s), "rollout_s") for s in waiters["sizes"]]
    same = len(set(reqs)) == 1
    out.append("- Requests independent of how long the rollout takes: **%s** (worst %s requests for rollouts of %s)." % (
        "met" if same else "missed", "/".join(fmt_num(r) for r in reqs), ", ".join(ms(r) for r in rollout)))
    if converge:
        summ = converge["summary"]
        bound = summ["ssa_bound_s"]
        rerun = summ["rerun_wall_s"]["median"]
        ssa = converge["ssa"]["apply_s"]["median"]
        wait = converge["ssa"]["wait_s"]["median"]
        out.append("- No-change re-run within 2x the server-side-apply bound plus the wait: **%s** (re-run %.1f s; bound "
                   "2 x (%.2f s apply + %.2f s wait) = %.2f s; %.0fx over)." % (
                       "met" if rerun <= 2 * bound else "missed", rerun, ssa, wait, 2 * bound, rerun / (2 * bound)))
    return out


def converge_section(conv):
    summ = conv["summary"]
    first = conv["runs"][0]
    rerun = next((r for r in conv["runs"] if r["kind"] == "rerun"), None)
    rows = ["| what | wall time | tasks (changed) | API requests |", "|---|---:|---:|---:|",
            "| first run of `site.yml` (Kubernetes plays) | %.1f s | %d (%d) | %d |" % (
                first["wall_s"], first["tasks_started"], first["changed"], first["requests"]["total"])]
    if rerun:
        rows.append("| re-run, nothing to change (median of %d) | %.1f s (worst %.1f s) | %d (%d) | %s |" % (
            summ["rerun_wall_s"]["n"], summ["rerun_wall_s"]["median"], summ["rerun_wall_s"]["worst"], rerun["tasks_started"],
            summ["rerun_changed"], fmt_num(summ["rerun_requests"]["median"])))
    rows.append("| lower bound: `kubectl apply --server-side` of the %d rendered objects (median of %d) | %.2f s | - | %s |" % (
        len(conv["ssa"]["files"]), conv["ssa"]["apply_s"]["n"], conv["ssa"]["apply_s"]["median"],
        fmt_num(conv["ssa"]["requests"]["median"])))
    rows.append("| ... plus the wait: `kubectl rollout status` of the Deployment and the StatefulSet | %.2f s | - | - |" % (
        conv["ssa"]["wait_s"]["median"]))
    floor = summ.get("floor_wall_s")
    if floor:
        rows.append("| one `ansible-playbook`: all rendered objects in one `kubernetes.core.k8s` task + `statefulset_ready` "
                    "(median) | %.1f s | 2 | %s |" % (floor["median"], fmt_num(conv["floor"][0]["requests"]["total"])))
    lines = rows + [""]
    if rerun:
        lines.append("Where the first re-run's %.1f s go (callback task times; a task's time runs from its start to the next task's "
                     "start): ansible-playbook start-up to the first task %.2f s, end of the last task to exit %.2f s; "
                     "%d tasks started (%d ran, %d skipped), median task %.0f ms; per-task overhead "
                     "(re-run - bound) / tasks = %.0f ms." % (
                         rerun["wall_s"], rerun["startup_s"], rerun["shutdown_s"], rerun["tasks_started"], rerun["tasks_executed"],
                         rerun["tasks_skipped"], rerun["task_seconds"]["median"] * 1000, summ["per_task_overhead_s"] * 1000))
        lines += ["", "| action | tasks | seconds | share |", "|---|---:|---:|---:|"]
        total = sum(v["seconds"] for v in rerun["by_action"].values()) or 1
        for action, value in sorted(rerun["by_action"].items(), key=lambda kv: -kv[1]["seconds"]):
            lines.append("| `%s` | %d | %.2f | %.0f %% |" % (action, value["tasks"], value["seconds"], 100 * value["seconds"] / total))
        lines += ["", "Slowest tasks of the re-run:", "", "| seconds | action | task |", "|---:|---|---|"]
        for task in rerun["top"][:8]:
            lines.append("| %.2f | `%s` | %s |" % (task["seconds"], task["action"], task["task"].replace("|", "/")))
    return lines


def chart(waiters, path):
    sizes = waiters["sizes"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    for waiter in MAIN + ["statefulset_ready_lib"]:
        entries = [waiters["summary"].get("%s/%d" % (waiter, s)) for s in sizes]
        if not any(entries):
            continue
        style = "--" if waiter == "statefulset_ready_lib" else "-"
        med = [stat(e, "latency_s") for e in entries]
        worst = [stat(e, "latency_s", "worst") for e in entries]
        line, = left.plot(sizes, med, style, marker="o", label=LABELS[waiter])
        left.plot(sizes, worst, linestyle="none", marker="v", color=line.get_color(), alpha=0.6)
        if waiter != "statefulset_ready_lib":
            right.plot(sizes, [stat(e, "requests") for e in entries], style, marker="o", label=LABELS[waiter], color=line.get_color())
    left.axhline(0.2, color="grey", linewidth=0.8, linestyle=":")
    left.text(sizes[0], 0.21, "target 0.2 s", color="grey", fontsize=8)
    left.set_yscale("log")
    left.set_xscale("log")
    left.set_xticks(sizes, [str(s) for s in sizes])
    left.set_xlabel("replicas")
    left.set_ylabel("last pod Ready -> waiter returns (s); o median, v worst")
    left.set_title("Detection latency")
    left.legend(fontsize=7)
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xticks(sizes, [str(s) for s in sizes])
    right.set_xlabel("replicas")
    right.set_ylabel("API requests per wait (audit log, median)")
    right.set_title("API requests")
    right.legend(fontsize=7)
    env_date = waiters.get("_date", "")
    fig.suptitle("StatefulSet waiters on the local cluster %s" % env_date, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(results_json, out_dir, readme):
    with open(results_json) as handle:
        doc = json.load(handle)
    waiters, conv, env = doc["waiters"], doc.get("converge"), doc.get("environment", {})
    lines = ["# Benchmark results", "", "Made by `benchmarks/run` (method: `benchmarks/README.md`); raw figures in `results.json`.", ""]
    lines += environment_lines(env, waiters) + [""]
    lines += ["## Waiters: detection latency, API requests, memory", "",
              "Latency: from the API server's audit record of the status write that made the last pod Ready to the moment "
              "the waiting Ansible task returned (callback time in ansible-playbook) or kubectl exited; median and worst "
              "of %d runs per size. Requests: counted by the API server (audit log, the waiter's own client certificate), "
              "from the waiter's start to its exit." % waiters["runs"], ""]
    lines += waiter_table(waiters, MAIN) + [""]
    lines += ["## Where statefulset_ready's latency goes (medians)", ""] + breakdown(waiters) + [""]
    lines += waiter_table(waiters, ["statefulset_ready_lib"]) + [""]
    if conv:
        lines += ["## Converge", ""] + converge_section(conv) + [""]
    lines += ["## Targets", ""] + targets(waiters, conv) + [""]
    lines += ["![latency and requests against replicas](benchmark.png)", ""]
    with open(os.path.join(out_dir, "results.md"), "w") as handle:
        handle.write("\n".join(lines))
    waiters["_date"] = "(%s, %s CPUs, load %.1f)" % (env.get("date"), env.get("cpus"), (waiters.get("load1_during") or {}).get("median") or 0)
    chart(waiters, os.path.join(out_dir, "benchmark.png"))
    readme_block = [BEGIN, ""] + environment_lines(env, waiters) + [""] + compact_table(waiters) + [""]
    if conv:
        summ = conv["summary"]
        readme_block.append("Converge (Kubernetes plays of `site.yml`): first run %.1f s, re-run with nothing to change %.1f s "
                            "(%d tasks, changed=0), against %.2f s for `kubectl apply --server-side` of the same rendered objects "
                            "plus %.2f s of `kubectl rollout status`." % (
                                summ["first_wall_s"], summ["rerun_wall_s"]["median"], summ["rerun_tasks"],
                                conv["ssa"]["apply_s"]["median"], conv["ssa"]["wait_s"]["median"]))
        readme_block.append("")
    readme_block += targets(waiters, conv) + ["", "![latency and requests against replicas](benchmarks/results/benchmark.png)", "", END]
    with open(readme) as handle:
        text = handle.read()
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + "\n".join(readme_block) + text[text.index(END) + len(END):]
        with open(readme, "w") as handle:
            handle.write(text)
    print("report: %s, %s, %s" % (os.path.join(out_dir, "results.md"), os.path.join(out_dir, "benchmark.png"), readme))


if __name__ == "__main__":
    main(*sys.argv[1:4])
