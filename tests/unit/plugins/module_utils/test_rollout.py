# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure decision: plain dicts in, plain dicts out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.stateful.nfs_redis.plugins.module_utils import rollout
from ansible_collections.stateful.nfs_redis.plugins.module_utils.rollout import (
    ReadyTracker,
    describe_pods,
    evaluate,
    explain,
    failure_message,
    label_selector_string,
    parse_time,
    pod_ordinal,
)
from ansible_collections.stateful.nfs_redis.tests.unit.plugins.module_utils.k8s_fakes import (
    container,
    make_event,
    make_pod,
    make_pvc,
    make_sts,
)


def ready_pods(n, **kwargs):
    return [make_pod(i, ready=True, created=i * 10, ready_time=i * 10 + 5, **kwargs) for i in range(n)]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("2025-01-01T00:00:05Z", 1735689605.0),
    ("2025-01-01T00:00:05.250000Z", 1735689605.25),
    ("2025-01-01T01:00:05+01:00", 1735689605.0),
    ("2025-01-01T00:00:05.5-0030", 1735691405.5),
])
def test_time_parsing(value, expected):
    assert rollout.time_key(value) == expected


@pytest.mark.parametrize("value", [None, "", "yesterday", 5])
def test_bad_times(value):
    assert parse_time(value) is None
    assert rollout.time_key(value) == float("inf")


def test_label_selector_string():
    selector = {
        "matchLabels": {"b": "2", "a": "1"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["db", "cache"]},
            {"key": "env", "operator": "NotIn", "values": ["dev"]},
            {"key": "x", "operator": "Exists"},
            {"key": "y", "operator": "DoesNotExist"},
            {"key": "z", "operator": "Bogus"},
        ],
    }
    assert label_selector_string(selector) == "a=1,b=2,tier in (db,cache),env notin (dev),x,!y"
    assert label_selector_string(selector, match_labels_only=True) == "a=1,b=2"
    assert label_selector_string(None) == ""


@pytest.mark.parametrize("name, expected", [
    ("redis-0", 0), ("redis-12", 12), ("redis-01", None), ("redis-x", None),
    ("redis", None), ("other-1", None), (None, None), ("redis-cache-1", None),
])
def test_pod_ordinal(name, expected):
    assert pod_ordinal("redis", name) == expected


def test_ownership_and_readiness_helpers():
    sts = make_sts()
    assert rollout.owned_by(make_pod(0), sts)
    assert not rollout.owned_by(make_pod(0, owner_uid="x"), sts)
    assert rollout.owned_by(make_pod(0, owner_uid=None), sts)
    assert not rollout.is_pod_ready(None)
    assert not rollout.is_pod_ready(make_pod(0, ready=True, phase="Succeeded"))
    assert not rollout.is_pod_ready(make_pod(0, ready=True, deleting=5))
    assert rollout.pod_state(None) == "not created"
    assert rollout.pod_state(make_pod(0, deleting=1)) == "Terminating"
    assert rollout.pod_state(make_pod(0, phase="Running")) == "Running, not Ready"
    assert rollout.dig({"a": [1]}, "a", "b", default="d") == "d"


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
    p0 = make_pod(0, created=0)
    r1 = make_pod(1, ready=True, created=1, ready_time=2)
    tracker._flag(r1, ["redis-0"], "observed")
    tracker._flag(r1, ["redis-0"], "observed")
    assert len(tracker.violations) == 1
    assert "were not Ready" in rollout.violation_text(
        dict(tracker.violations[0], not_ready_predecessors=["a", "b"], ready_at=None))
    del p0


# ---------------------------------------------------------------------------
# explain
# ---------------------------------------------------------------------------


def problems_for(pod_list, pvcs=None, events=None, sts=None, **sts_kwargs):
    sts = sts or make_sts(**sts_kwargs)
    return explain(sts, pod_list, pvcs, events)


def test_explain_external_provisioner_hint():
    pod = make_pod(0, node=None, scheduled=False)
    pvc = make_pvc("data-redis-0", phase="Pending")
    events = [make_event("PersistentVolumeClaim", "data-redis-0", "ExternalProvisioning",
                         'Waiting for a volume to be created either by the external provisioner '
                         '"cluster.local/nfs-subdir-external-provisioner" or manually by the system '
                         'administrator.', etype="Normal", uid="data-redis-0-uid", count=40)]
    problem = problems_for([pod], {"data-redis-0": pvc}, events)[0]
    assert problem["details"][0].startswith("PVC data-redis-0 is Pending: ExternalProvisioning: Waiting")
    assert problem["details"][0].endswith("(x40)")
    assert ('no provisioner "cluster.local/nfs-subdir-external-provisioner" has acted on the claim'
            in problem["hints"][0])
    assert "PROVISIONER_NAME equals the StorageClass's provisioner" in problem["hints"][0]
    assert "no scheduling decision recorded" in problem["details"][1]
    assert "is kube-scheduler running?" in problem["hints"]


def test_explain_pending_pvc_without_events_and_missing_and_lost():
    pod = make_pod(0, claims=("data", "logs", "old"))
    pvcs = {"data-redis-0": make_pvc("data-redis-0", phase="Pending"),
            "old-redis-0": make_pvc("old-redis-0", phase="Lost")}
    problem = problems_for([pod], pvcs, [])[0]
    assert problem["details"][:3] == [
        "PVC data-redis-0 is Pending (no events about it; events expire after an hour by default)",
        "PVC logs-redis-0 does not exist",
        "PVC old-redis-0 is Lost (its PersistentVolume is gone) (no events about it; events expire "
        "after an hour by default)",
    ]
    assert "check that StorageClass nfs-client exists and its provisioner runs" in problem["hints"]


def test_explain_pvc_events_of_older_object_ignored():
    pvc = make_pvc("data-redis-0", phase="Pending", uid="new")
    events = [make_event("PersistentVolumeClaim", "data-redis-0", "ProvisioningFailed", "old news",
                         uid="old")]
    problem = problems_for([make_pod(0)], {"data-redis-0": pvc}, events)[0]
    assert "old news" not in " ".join(problem["details"])


@pytest.mark.parametrize("message, hint", [
    ("mount failed: exit status 32", "install NFS client utilities on the node"),
    ("mount.nfs: access denied by server while mounting 192.0.2.1:/data",
     "the NFS server refused the mount"),
    ("mount failed: exit status 32 ... mount.nfs: access denied by server",
     "the NFS server refused the mount"),
    ("mount.nfs: Connection timed out", "the node cannot reach the NFS server"),
    ("mount.nfs: No route to host", "the node cannot reach the NFS server"),
    ("bad option; for several filesystems (e.g. nfs, cifs) you might need a /sbin/mount.<type> "
     "helper program", "install NFS client utilities on the node"),
    ("Unable to attach or mount volumes: timed out waiting for the condition", None),
    ("some other failure", None),
])
def test_failed_mount_hints(message, hint):
    pod = make_pod(0, phase="Pending", containers=[container(waiting="ContainerCreating")])
    events = [make_event("Pod", "redis-0", "FailedMount", message, uid="redis-0-uid-0")]
    problem = problems_for([pod], {}, events)[0]
    assert "event FailedMount: " + message in problem["details"]
    assert "container redis: ContainerCreating" in problem["details"]
    if hint:
        assert any(hint in h for h in problem["hints"])
    else:
        assert problem["hints"] == []


def test_explain_unschedulable():
    pod = make_pod(0, node=None, scheduled=False, unschedulable="0/3 nodes are available: 3 Insufficient memory.")
    events = [make_event("Pod", "redis-0", "FailedScheduling", "0/3 nodes are available: 3 Insufficient memory.",
                         uid="redis-0-uid-0"),
              make_event("Pod", "redis-0", "Scheduled", "ok", etype="Normal", uid="redis-0-uid-0")]
    problem = problems_for([pod], None, events)[0]
    assert problem["details"][0] == "not scheduled: Unschedulable: 0/3 nodes are available: 3 Insufficient memory."
    # the event says the same as the condition: not repeated
    assert not any(d.startswith("event FailedScheduling") for d in problem["details"])
    events[0]["message"] = "0/3 nodes are available: 1 node(s) had untolerated taint."
    problem = problems_for([pod], None, events)[0]
    assert "event FailedScheduling: 0/3 nodes are available: 1 node(s) had untolerated taint." in problem["details"]


def test_explain_containers():
    pod = make_pod(0, phase="Pending", init_containers=[
        container(name="init", terminated={"exitCode": 2, "reason": "Error"}),
        container(name="init2", terminated={"exitCode": 0}),
    ], containers=[
        container(name="a", waiting="CreateContainerConfigError", message='secret "pw" not found'),
        container(name="b", waiting="PodInitializing"),
        container(name="c", running=True, ready=False),
        container(name="d", running=True, ready=True),
        container(name="e", waiting="CrashLoopBackOff", restarts=3, last_exit={"exitCode": 137}),
    ])
    problem = problems_for([pod])[0]
    assert problem["details"] == [
        "init container init exited with code 2 (Error)",
        'container a: CreateContainerConfigError: secret "pw" not found',
        "container b: PodInitializing",
        "container c is running but not ready",
        "container e: CrashLoopBackOff (restarts 3, last exit code 137)",
    ]
    assert problem["hints"] == [
        "a referenced Secret, ConfigMap or setting is wrong or missing",
        "read its last output: kubectl logs --previous -n default redis-0 -c e",
    ]


def test_explain_terminating_failed_and_plain():
    pod = make_pod(0, deleting=7, finalizers=["x/y"])
    problem = problems_for([pod])[0]
    assert problem["details"][0] == "terminating since 2025-01-01T00:00:07Z (finalizers: x/y)"
    evicted = make_pod(0, phase="Failed", status_reason=("Evicted", "The node was low on memory."),
                       containers=[])
    problem = problems_for([evicted])[0]
    assert problem["details"][0] == "phase Failed: Evicted The node was low on memory."
    plain = make_pod(0, phase="Failed", containers=[])
    assert problems_for([plain])[0]["details"] == ["phase Failed"]
    bare = make_pod(0, phase="Running", containers=[])
    assert problems_for([bare])[0]["details"] == ["phase Running, Ready condition False"]


def test_explain_missing_first_pod_shows_statefulset_events():
    events = [make_event("StatefulSet", "redis", "FailedCreate",
                         'create Pod redis-0 in StatefulSet redis failed error: pods "redis-0" is '
                         'forbidden: exceeded quota: q, requested: pods=1, used: pods=5, limited: pods=5',
                         uid="sts-uid"),
              make_event("StatefulSet", "redis", "SuccessfulCreate", "create Claim data-redis-0",
                         etype="Normal", uid="sts-uid")]
    problems = problems_for([], {}, events, ready=0, status_replicas=0)
    assert problems[0]["summary"] == "not created yet"
    assert problems[0]["details"][0].startswith("StatefulSet event FailedCreate: create Pod redis-0")
    assert problems[0]["hints"] == ["a ResourceQuota blocks pod or claim creation"]
    assert problems[1]["summary"].startswith("not created yet: with podManagementPolicy OrderedReady")


def test_explain_parallel_missing_pods_each_explained():
    problems = problems_for([], {}, None, ready=0, status_replicas=0, policy="Parallel")
    assert [p["summary"] for p in problems] == ["not created yet"] * 3
    assert all(p["details"] == [] for p in problems)


def test_explain_outdated_while_another_pod_unready():
    sts = make_sts(ready=2, update_revision="v2", updated=0, generation=2, observed=2)
    pods = [make_pod(0, ready=True, revision="v1"), make_pod(1, ready=True, revision="v1"),
            make_pod(2, revision="v2")]
    problems = explain(sts, pods, {}, [])
    assert problems[0]["pod"] == "redis-2"
    assert problems[1]["summary"] == (
        "Ready at revision v1, waiting to be updated to v2 (RollingUpdate proceeds only while all "
        "pods are Ready)")
    pods[2] = make_pod(2, ready=True, revision="v2")
    problems = explain(make_sts(ready=3, update_revision="v2", updated=1), pods, {}, [])
    assert problems[0]["summary"] == "Ready at revision v1, waiting to be updated to v2"


def test_explain_limits_detailed_pods():
    sts = make_sts(replicas=5, ready=0, status_replicas=5, policy="Parallel")
    pods = [make_pod(i, phase="Pending", containers=[container(waiting="ErrImagePull")]) for i in range(5)]
    problems = explain(sts, pods, {}, [])
    assert [bool(p["details"]) for p in problems] == [True, True, True, False, False]


def test_explain_status_only_with_events():
    sts = make_sts(ready=3, generation=2, observed=1)
    events = [make_event("StatefulSet", "redis", "Whatever", "something", uid="sts-uid")]
    problems = explain(sts, ready_pods(3), {}, events)
    assert problems[0]["state"] == "status"
    assert problems[0]["hints"] == ["is kube-controller-manager running?"]
    assert problems[0]["details"] == ["StatefulSet event Whatever: something"]
    # status lag without generation lag: no controller hint
    problems = explain(make_sts(ready=2, status_replicas=3), ready_pods(3), {}, [])
    assert problems[0]["hints"] == []


def test_events_for_supports_events_v1_shape_and_dedupes():
    events = [
        {"regarding": {"kind": "Pod", "name": "redis-0"}, "reason": "A", "note": "n1",
         "type": "Warning", "eventTime": "2025-01-01T00:00:01.000000Z"},
        {"regarding": {"kind": "Pod", "name": "redis-0"}, "reason": "A", "note": "n1",
         "type": "Warning", "series": {"lastObservedTime": "2025-01-01T00:00:03.000000Z", "count": 4}},
        {"involvedObject": {"kind": "Pod", "name": "redis-0"}, "reason": "B", "message": "m",
         "type": "Normal", "metadata": {"creationTimestamp": "2025-01-01T00:00:09Z"}},
    ]
    found = rollout.events_for(events, "Pod", "redis-0")
    assert [e["reason"] for e in found] == ["A", "B"]
    assert rollout.event_text(found[0]) == "A: n1 (x4)"


def test_failure_message_and_waiting_variants():
    sts = make_sts(ready=0, status_replicas=1, partition=1)
    pods = [make_pod(0, phase="Pending", containers=[container(waiting="ImagePullBackOff")])]
    problems = explain(sts, pods, None, [])
    msg = failure_message(sts, pods, problems, 12.25)
    assert msg.startswith("StatefulSet default/redis is not ready after 12.2s: 0 of 3 pods Ready "
                          "(podManagementPolicy OrderedReady, updateStrategy RollingUpdate partition 1). "
                          "Stuck at ordinal 0 (redis-0): Pending: container redis: ImagePullBackOff. "
                          "Hint: check the image reference redis:7 and that the node can pull it. "
                          "Ordinal 1 (redis-1): not created yet: with podManagementPolicy OrderedReady")
    sts = make_sts(ready=3, generation=2, observed=1)
    problems = explain(sts, ready_pods(3), {}, [])
    assert failure_message(sts, ready_pods(3), problems, 5).endswith(
        "pods Ready (podManagementPolicy OrderedReady, updateStrategy RollingUpdate). The StatefulSet "
        "status is not final: the StatefulSet controller has not observed generation 2 "
        "yet (status.observedGeneration is 1). Hint: is kube-controller-manager running?")


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
