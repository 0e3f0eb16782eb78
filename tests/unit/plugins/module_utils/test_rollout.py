# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout's state: whether it is done, what it waits for, the readiness order."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stateful.nfs_redis.plugins.module_utils import rollout
from ansible_collections.stateful.nfs_redis.plugins.module_utils.rollout import (
    ReadyTracker,
    describe_pods,
    evaluate,
)
from ansible_collections.stateful.nfs_redis.tests.unit.plugins.module_utils.k8s_fakes import (
    make_pod,
    make_pvc,
    make_sts,
    ready_pods,
)


def test_settings_defaults():
    sts = make_sts()
    del sts["spec"]["replicas"]
    s = rollout.settings(sts)
    assert (s["replicas"], s["start"], s["strategy"], s["partition"], s["policy"]) == (
        1, 0, "RollingUpdate", 0, "OrderedReady")
    s = rollout.settings(make_sts(partition=7, replicas=3))
    assert s["partition"] == 3
    assert rollout.settings(make_sts(strategy="OnDelete"))["partition"] == 0


# ---------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------


def test_done_when_all_ready():
    ev = evaluate(make_sts(ready=3), ready_pods(3))
    assert ev["done"] is True
    assert ev["message"] == "StatefulSet default/redis: 3 of 3 pods Ready; revision redis-v1"


def test_status_counts_must_match():
    ev = evaluate(make_sts(ready=2, status_replicas=3, updated=3), ready_pods(3))
    assert not ev["done"]
    assert ev["waiting_for"] == ["status.readyReplicas is 2, want 3"]
    assert ev["message"].endswith("waiting: status.readyReplicas is 2, want 3")


def test_pods_must_match_even_when_status_says_done():
    ev = evaluate(make_sts(ready=3), ready_pods(2))
    assert not ev["done"]
    assert ev["blockers"] == [{"ordinal": 2, "pod": "redis-2", "state": "missing"}]


def test_observed_generation_missing():
    ev = evaluate(make_sts(ready=3, observed=None), ready_pods(3))
    assert "has not observed generation 1 yet (status.observedGeneration is None)" in ev["waiting_for"][0]


def test_rolling_update_outdated_pod_blocks_above_partition_only():
    sts = make_sts(ready=3, update_revision="redis-v2", current_revision="redis-v1", updated=1,
                   partition=1, generation=2, observed=2)
    pods = ready_pods(3)
    pods[2] = make_pod(2, ready=True, revision="redis-v2")
    ev = evaluate(sts, pods)
    assert ev["blockers"] == [{"ordinal": 1, "pod": "redis-1", "state": "outdated"}]
    assert "status.updatedReplicas is 1, want at least 2 (replicas 3 - partition 1)" in ev["waiting_for"]
    assert ev["kept_pods"] == ["redis-0"]


def test_partition_done_message_without_kept_pods():
    sts = make_sts(ready=3, partition=1)
    ev = evaluate(sts, ready_pods(3))
    assert ev["done"]
    assert "partition 1 keeps no outdated pod" in ev["message"]


def test_ondelete_done_with_outdated():
    sts = make_sts(ready=2, replicas=2, strategy="OnDelete", update_revision="redis-v2", updated=0)
    ev = evaluate(sts, ready_pods(2))
    assert ev["done"]
    assert ev["outdated_pods"] == ["redis-0", "redis-1"]
    assert "redis-0, redis-1 not at updateRevision redis-v2" in ev["message"]


def test_min_ready_seconds_uses_available_replicas():
    sts = make_sts(ready=3, min_ready=30, available=2)
    ev = evaluate(sts, ready_pods(3))
    assert ev["waiting_for"] == ["status.availableReplicas is 2, want 3 (minReadySeconds 30)"]
    # a server without availableReplicas: readyReplicas stands in
    sts = make_sts(ready=3, min_ready=30)
    assert evaluate(sts, ready_pods(3))["done"]


def test_scale_down_extra_and_start_ordinal():
    sts = make_sts(replicas=2, ready=2, start=1)
    pods = [make_pod(i, ready=True) for i in range(0, 4)]
    ev = evaluate(sts, pods)
    assert [(b["pod"], b["state"]) for b in rollout.ordered_blockers(ev)] == [
        ("redis-3", "extra"), ("redis-0", "extra")]


def test_blocker_order():
    sts = make_sts(replicas=5, ready=1, update_revision="v2", updated=0)
    pods = [make_pod(0, ready=True, revision="v1"), make_pod(1, ready=True, revision="v1"),
            make_pod(2, deleting=1, revision="v2"), make_pod(3), make_pod(5, ready=True)]
    ev = evaluate(sts, pods)
    assert [(b["pod"], b["state"]) for b in rollout.ordered_blockers(ev)] == [
        ("redis-2", "terminating"), ("redis-3", "not_ready"), ("redis-4", "missing"),
        ("redis-1", "outdated"), ("redis-0", "outdated"), ("redis-5", "extra")]
    assert ev["message"].endswith("waiting for redis-2 (terminating)")


# ---------------------------------------------------------------------------
# readiness order
# ---------------------------------------------------------------------------


def test_tracker_seed_orders_by_ready_time_and_accepts_good_order():
    pods = ready_pods(3)
    tracker = ReadyTracker("redis")
    tracker.reset(list(reversed(pods)))
    assert tracker.order == ["redis-0", "redis-1", "redis-2"]
    assert tracker.violations == []


def test_tracker_infers_violation_from_last_transition_time():
    pods = [make_pod(0, ready=True, created=0, ready_time=9),
            make_pod(1, ready=True, created=1, ready_time=5)]
    tracker = ReadyTracker("redis")
    tracker.reset(pods)
    assert tracker.order == ["redis-1", "redis-0"]
    assert tracker.violations == [{"pod": "redis-1", "ordinal": 1, "ready_at": "2025-01-01T00:00:05Z",
                                   "not_ready_predecessors": ["redis-0"],
                                   "evidence": "lastTransitionTime"}]
    assert rollout.violation_text(tracker.violations[0]) == (
        "redis-1 became Ready (2025-01-01T00:00:05Z) while redis-0 was not Ready "
        "(evidence: lastTransitionTime)")


def test_tracker_infers_from_not_ready_predecessor():
    # redis-0 not Ready since t=2, redis-1 became Ready at t=5: violation
    pods = [make_pod(0, created=0, not_ready_since=2), make_pod(1, ready=True, created=1, ready_time=5)]
    tracker = ReadyTracker("redis")
    tracker.reset(pods)
    assert tracker.violations[0]["not_ready_predecessors"] == ["redis-0"]
    # redis-0 became not Ready at t=8, after redis-1 was Ready: no evidence of a violation
    pods = [make_pod(0, created=0, not_ready_since=8), make_pod(1, ready=True, created=1, ready_time=5)]
    tracker = ReadyTracker("redis")
    tracker.reset(pods)
    assert tracker.violations == []


def test_tracker_excuses_recreated_predecessor():
    # rolling update: redis-0 re-created last, Ready after redis-1
    pods = [make_pod(0, ready=True, created=20, ready_time=25),
            make_pod(1, ready=True, created=10, ready_time=12)]
    tracker = ReadyTracker("redis")
    tracker.reset(pods)
    assert tracker.violations == []
    assert tracker.order == ["redis-1", "redis-0"]


def test_tracker_excuses_predecessor_recreated_in_the_same_second():
    # redis-0 deleted the moment it was Ready and re-created in the second redis-1 was created:
    # redis-1 becoming Ready first is not an ordering violation
    tracker = ReadyTracker("redis")
    p0, p1 = make_pod(0, created=5), make_pod(1, created=5)
    tracker.reset([p0, p1])
    r1 = make_pod(1, ready=True, created=5, ready_time=7)
    tracker.update("MODIFIED", r1, [p0, r1])
    assert tracker.violations == []


def test_tracker_observed_transitions():
    tracker = ReadyTracker("redis")
    p0, p1 = make_pod(0, created=0), make_pod(1, created=1)
    tracker.reset([p0, p1])
    r1 = make_pod(1, ready=True, created=1, ready_time=3)
    tracker.update("MODIFIED", r1, [p0, r1])
    tracker.update("MODIFIED", r1, [p0, r1])  # no change
    assert len(tracker.violations) == 1
    r0 = make_pod(0, ready=True, created=0, ready_time=4)
    tracker.update("MODIFIED", r0, [r0, r1])
    assert tracker.order == ["redis-1", "redis-0"]
    tracker.update("MODIFIED", p0, [p0, r1])  # readiness lost
    assert tracker.order == ["redis-1"]
    tracker.update("DELETED", r1, [p0])
    assert tracker.order == []
    tracker.update("DELETED", r1, [p0])  # unknown: ignored


def test_tracker_readiness_flap_is_not_checked_again():
    tracker = ReadyTracker("redis")
    r0, r1 = make_pod(0, ready=True, created=0, ready_time=1), make_pod(1, ready=True, created=1, ready_time=2)
    tracker.reset([r0, r1])
    p0 = make_pod(0, created=0, not_ready_since=5)
    p1 = make_pod(1, created=1, not_ready_since=5)
    tracker.update("MODIFIED", p1, [r0, p1])
    tracker.update("MODIFIED", p0, [p0, p1])
    again = make_pod(1, ready=True, created=1, ready_time=6)
    tracker.update("MODIFIED", again, [p0, again])  # redis-0 not Ready, but this is a flap
    assert tracker.violations == []
    assert tracker.order == ["redis-1"]
    tracker.reset([p0, again])  # a relist after the flap: not inferred either
    assert tracker.violations == []


def test_tracker_new_incarnation_replaces_old():
    tracker = ReadyTracker("redis")
    old = make_pod(0, ready=True, created=0, ready_time=1)
    tracker.reset([old])
    new = make_pod(0, ready=True, created=5, ready_time=6)
    tracker.update("ADDED", new, [new])
    assert tracker.order == ["redis-0"]
    assert tracker._uids["redis-0"] == "redis-0-uid-5"


def test_tracker_reset_forgets_vanished_and_keeps_known():
    tracker = ReadyTracker("redis")
    pods = ready_pods(2)
    tracker.reset(pods)
    tracker.reset([pods[1]])
    assert tracker.order == ["redis-1"]


def test_tracker_parallel_records_without_checks():
    tracker = ReadyTracker("redis", enforced=False)
    pods = [make_pod(0, created=0), make_pod(1, ready=True, created=1, ready_time=2)]
    tracker.reset(pods)
    tracker.update("MODIFIED", pods[1], pods)
    assert tracker.violations == []
    assert tracker.order == ["redis-1"]


def test_tracker_ignores_foreign_names():
    tracker = ReadyTracker("redis")
    foreign = make_pod(0, sts="other", ready=True, owner_uid="x")
    tracker.update("ADDED", foreign, [foreign])
    assert tracker.violations == []


def test_flag_only_once_per_incarnation():
    tracker = ReadyTracker("redis")
    r1 = make_pod(1, ready=True, created=1, ready_time=2)
    tracker._flag(r1, ["redis-0"], "observed")
    tracker._flag(r1, ["redis-0"], "observed")
    assert len(tracker.violations) == 1
    assert "were not Ready" in rollout.violation_text(
        dict(tracker.violations[0], not_ready_predecessors=["a", "b"], ready_at=None))


def test_describe_pods():
    sts = make_sts(ready=2, replicas=2, update_revision="v2")
    pods = [make_pod(0, ready=True, revision="v1", claims=("data", "logs")), make_pod(1, node=None,
                                                                                      scheduled=False)]
    pvcs = {"data-redis-0": make_pvc("data-redis-0")}
    described = describe_pods(sts, pods, pvcs)
    assert described[0]["claims"] == [{"name": "data-redis-0", "phase": "Bound"},
                                      {"name": "logs-redis-0", "phase": "Missing"}]
    assert described[0]["updated"] is False
    assert described[0]["ready_at"] == "2025-01-01T00:00:01Z"
    assert described[1]["node"] is None and described[1]["ready"] is False
    assert describe_pods(sts, pods, None)[0]["claims"][0]["phase"] == "Unknown"
