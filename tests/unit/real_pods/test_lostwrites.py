# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/real_pods/lostwrites.py: the lost-writes checker's parsing and figures."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "real_pods"))

import lostwrites  # noqa: E402  pylint: disable=wrong-import-position

LOG = """# 1000000000000000000 primary redis-sts-0.redis-svc (Sentinel a)
1000000000100000000 1 redis-sts-0.redis-svc OK 1
1000000000200000000 2 redis-sts-0.redis-svc OK 0
1000000000300000000 3 redis-sts-0.redis-svc OK
1000000002300000000 4 redis-sts-0.redis-svc
1000000002400000000 5 redis-sts-0.redis-svc READONLY You can't write against a read only replica. 0
# 1000000002500000000 primary redis-sts-1.redis-svc (Sentinel b)
1000000003000000000 6 redis-sts-1.redis-svc OK 2
not a write line
# 1000000003100000000 stopped after 6 writes
"""


def test_parse_log_classifies_replies():
    writes = lostwrites.parse_log(LOG)
    assert [w["i"] for w in writes] == [1, 2, 3, 4, 5, 6]
    assert [w["acked"] for w in writes] == [True, True, True, False, False, True]
    # WAIT 0, a missing WAIT reply (timed out) and errors are not confirmations.
    assert [w["confirmed"] for w in writes] == [True, False, False, False, False, True]
    assert writes[0]["t"] == 1000000000.1
    assert writes[5]["host"] == "redis-sts-1.redis-svc"


def test_key_ids_only_counts_the_run():
    text = "w1:1\nw1:22\nw2:3\nw1:x\nother\nw1:\n"
    assert lostwrites.key_ids(text, "w1") == {1, 22}


def test_figures_lost_per_pod_and_confirmed():
    writes = lostwrites.parse_log(LOG)
    present = {"p0": {1, 2, 3, 6}, "p1": {1, 6}, "p2": {2, 3, 6, 99}}
    r = lostwrites.figures(writes, present, fault_at=1000000001.0, recovered_at=1000000004.5)
    assert r["writes"] == 6
    assert r["acknowledged"] == 4
    assert r["wait_confirmed"] == 2
    assert r["errors"] == 2
    # p1 lacks 2 and 3 (acked), p2 lacks 1 (acked and confirmed); an unacknowledged key present is no loss.
    assert r["lost_by_pod"] == {"p0": 0, "p1": 2, "p2": 1}
    assert r["lost"] == 3
    assert r["lost_sample"] == [1, 2, 3]
    assert r["wait_confirmed_lost"] == 1
    assert r["wait_confirmed_lost_by_pod"] == {"p0": 0, "p1": 0, "p2": 1}
    assert r["recovery_seconds"] == 3.5
    assert r["acknowledged_after_fault"] == 1
    # Acknowledgements at .1, .2, .3 and 3.0: the longest gap is 2.7 s from .3.
    assert r["longest_gap"] == {"seconds": 2.7, "from": 1000000000.3}


def test_figures_without_pods_or_writes():
    r = lostwrites.figures([], {})
    assert r["acknowledged"] == 0 and r["lost"] == 0 and r["longest_gap"] is None
    assert "duration_seconds" not in r and r["recovery_seconds"] is None


def test_longest_gap_with_bounds():
    assert lostwrites.longest_gap([5.0, 6.0], start=0.0, end=7.0) == {"seconds": 5.0, "from": 0.0}
    assert lostwrites.longest_gap([1.0]) is None


def test_gates():
    r = {"acknowledged": 10, "lost": 0, "wait_confirmed": 5, "wait_confirmed_lost": 0}
    assert lostwrites.gate_held(r, "lost") and lostwrites.gate_held(r, "confirmed")
    assert not lostwrites.gate_held(dict(r, lost=1), "lost")
    assert lostwrites.gate_held(dict(r, lost=1), "confirmed")
    assert not lostwrites.gate_held(dict(r, wait_confirmed_lost=1), "confirmed")
    # A gate that saw no write proves nothing: it fails.
    assert not lostwrites.gate_held(dict(r, acknowledged=0), "lost")
    assert not lostwrites.gate_held(dict(r, wait_confirmed=0), "confirmed")
    assert lostwrites.gate_held(dict(r, lost=5), "none")


def test_cli_figures_and_table(tmp_path, capsys):
    log = tmp_path / "w.log"
    log.write_text(LOG)
    keys = tmp_path / "p0.keys"
    keys.write_text("w9:1\nw9:2\nw9:3\nw9:6\n")
    assert lostwrites.main(["figures", "--log", str(log), "--run", "w9", "--keys", "p0=" + str(keys),
                            "--scenario", "s1", "--gate", "lost", "--extra", '{"code": "fixed"}']) == 0
    line = capsys.readouterr().out
    r = json.loads(line)
    assert r["scenario"] == "s1" and r["code"] == "fixed" and r["lost"] == 0 and r["gate_held"] is True
    results = tmp_path / "r.jsonl"
    results.write_text(line + "\n")
    assert lostwrites.main(["table", str(results)]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[2] == "| s1 | fixed | 4 | 0 | 2 | 0 | 2.7 | - | lost: held |"


def test_replace_between(tmp_path):
    doc = "a\n<!-- results -->\nold\n<!-- /results -->\nb\n"
    assert lostwrites.replace_between(doc, "new\n") == "a\n<!-- results -->\nnew\n<!-- /results -->\nb\n"
    with pytest.raises(ValueError):
        lostwrites.replace_between("no markers", "x")
