"""The lost-writes checker of tests/real_pods/faults.sh (pure parts tested in tests/unit).

  lostwrites.py figures --log WRITER.LOG --keys POD=KEYS.TXT ... [--scenario NAME] [--fault-at T]
                        [--recovered-at T] [--extra JSON]
      one JSON object: writes acknowledged, acknowledged writes lost, WAIT-confirmed, WAIT-confirmed
      lost (per pod and on any pod), the longest gap without an acknowledged write, the recovery time
  lostwrites.py table RESULTS.JSONL [--update FILE --note TEXT]
      the Markdown table of the results (one JSON object per line); with --update, written into FILE
      (docs/data-safety.md) between the lines <!-- results --> and <!-- /results -->, after TEXT

The writer's log (tests/real_pods/writer.sh) has one line per write:
  <unix time of the reply in ns> <i> <host> <reply to SET> <reply to WAIT>
and comment lines starting with '#'. A write is acknowledged when SET answered OK, WAIT-confirmed
when it was acknowledged and WAIT answered an integer >= 1. KEYS.TXT lists the keys a pod holds
(one per line, the writer's keys are <run>:<i>).
"""

import argparse
import json
import sys


def parse_log(text):
    """The writes of a writer log: a list of dicts (t in s, i, host, acked, confirmed)."""
    writes = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 3 or line.startswith("#"):
            continue
        try:
            t_ns, i = int(fields[0]), int(fields[1])
        except ValueError:
            continue
        replies = fields[3:]
        acked = bool(replies) and replies[0] == "OK"
        confirmed = acked and len(replies) >= 2 and replies[1].isdigit() and int(replies[1]) >= 1
        writes.append({"t": t_ns / 1e9, "i": i, "host": fields[2], "acked": acked, "confirmed": confirmed})
    return writes


def key_ids(text, run):
    """The write numbers of the writer's keys <run>:<i> listed in text (one key per line)."""
    prefix = run + ":"
    ids = set()
    for line in text.split():
        if line.startswith(prefix) and line[len(prefix):].isdigit():
            ids.add(int(line[len(prefix):]))
    return ids


def longest_gap(times, start=None, end=None):
    """The longest time between two consecutive acknowledgements (with start and end as bounds)."""
    points = sorted(times)
    if start is not None:
        points.insert(0, start)
    if end is not None:
        points.append(end)
    if len(points) < 2:
        return None
    gap, at = max((b - a, a) for a, b in zip(points, points[1:]))
    return {"seconds": round(gap, 3), "from": round(at, 3)}


def figures(writes, present, fault_at=None, recovered_at=None):
    """The checker's figures: writes from parse_log, present = {pod: set of write numbers}."""
    acked = {w["i"] for w in writes if w["acked"]}
    confirmed = {w["i"] for w in writes if w["confirmed"]}
    lost_by_pod = {pod: sorted(acked - ids) for pod, ids in sorted(present.items())}
    lost_any = set().union(*lost_by_pod.values()) if lost_by_pod else set()
    ack_times = [w["t"] for w in writes if w["acked"]]
    out = {
        "writes": len(writes),
        "acknowledged": len(acked),
        "wait_confirmed": len(confirmed),
        "lost": len(lost_any),
        "wait_confirmed_lost": len(lost_any & confirmed),
        "lost_by_pod": {pod: len(ids) for pod, ids in lost_by_pod.items()},
        "wait_confirmed_lost_by_pod": {pod: len(set(ids) & confirmed) for pod, ids in lost_by_pod.items()},
        "lost_sample": sorted(lost_any)[:10],
        "errors": len(writes) - len(acked),
        "longest_gap": longest_gap(ack_times),
        "recovery_seconds": None,
    }
    if writes:
        out["duration_seconds"] = round(writes[-1]["t"] - writes[0]["t"], 3)
    if fault_at is not None and recovered_at is not None:
        out["recovery_seconds"] = round(recovered_at - fault_at, 3)
    if fault_at is not None:
        out["acknowledged_after_fault"] = sum(1 for w in writes if w["acked"] and w["t"] >= fault_at)
    return out


def _fmt(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return "%.1f" % value
    return str(value)


def table(results):
    """Markdown rows of docs/data-safety.md, one per scenario result."""
    lines = [
        "| scenario | code | acknowledged | lost | WAIT-confirmed | WAIT-confirmed lost | longest gap (s) | recovery (s) | gate |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        gap = (r.get("longest_gap") or {}).get("seconds")
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r.get("scenario", "?"), r.get("code", ""), r["acknowledged"], r["lost"], r["wait_confirmed"],
            r["wait_confirmed_lost"], _fmt(gap), _fmt(r.get("recovery_seconds")),
            "%s: %s" % (r.get("gate", "-"), "held" if r.get("gate_held") else "FAILED") if r.get("gate") else "-"))
    return "\n".join(lines) + "\n"


def gate_held(result, gate):
    """gate: 'lost' (no acknowledged write lost), 'confirmed' (no WAIT-confirmed write lost), 'none'."""
    if gate == "lost":
        return result["lost"] == 0 and result["acknowledged"] > 0
    if gate == "confirmed":
        return result["wait_confirmed_lost"] == 0 and result["wait_confirmed"] > 0
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("figures")
    f.add_argument("--log", required=True)
    f.add_argument("--run", required=True)
    f.add_argument("--keys", action="append", default=[], metavar="POD=FILE")
    f.add_argument("--scenario", default="")
    f.add_argument("--gate", choices=("lost", "confirmed", "none"), default="none")
    f.add_argument("--fault-at", type=float)
    f.add_argument("--recovered-at", type=float)
    f.add_argument("--extra", default="{}", help="a JSON object merged into the result")
    t = sub.add_parser("table")
    t.add_argument("results")
    t.add_argument("--update")
    t.add_argument("--note", default="")
    args = parser.parse_args(argv)
    if args.command == "figures":
        with open(args.log) as fh:
            writes = parse_log(fh.read())
        present = {}
        for item in args.keys:
            pod, path = item.split("=", 1)
            with open(path) as fh:
                present[pod] = key_ids(fh.read(), args.run)
        result = {"scenario": args.scenario}
        result.update(json.loads(args.extra))
        result.update(figures(writes, present, args.fault_at, args.recovered_at))
        result["gate"] = args.gate
        result["gate_held"] = gate_held(result, args.gate)
        print(json.dumps(result, sort_keys=True))
        return 0
    with open(args.results) as fh:
        results = [json.loads(line) for line in fh if line.strip()]
    text = table(results)
    sys.stdout.write(text)
    if args.update:
        with open(args.update) as fh:
            doc = fh.read()
        with open(args.update, "w") as fh:
            fh.write(replace_between(doc, (args.note + "\n\n" if args.note else "") + text))
    return 0


def replace_between(doc, text, begin="<!-- results -->", end="<!-- /results -->"):
    """doc with what lies between the lines begin and end replaced by text."""
    head, found, rest = doc.partition(begin + "\n")
    found_end, tail = rest.partition(end)[1:]
    if not found or not found_end:
        raise ValueError("%s and %s not found" % (begin, end))
    return head + begin + "\n" + text + end + tail


if __name__ == "__main__":
    sys.exit(main())
