# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why a rollout is stuck: problems, hints and the failure message."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.stateful.nfs_redis.plugins.module_utils import diagnose
from ansible_collections.stateful.nfs_redis.plugins.module_utils.diagnose import (
    explain,
    failure_message,
)
from ansible_collections.stateful.nfs_redis.plugins.module_utils.rollout import evaluate
from ansible_collections.stateful.nfs_redis.tests.unit.plugins.module_utils.k8s_fakes import (
    container,
    make_event,
    make_pod,
    make_pvc,
    make_sts,
    ready_pods,
)


def explained(sts, pods, pvcs=None, events=None):
    return explain(sts, pods, evaluate(sts, pods), pvcs, events)


def problems_for(pod_list, pvcs=None, events=None, sts=None, **sts_kwargs):
    return explained(sts or make_sts(**sts_kwargs), pod_list, pvcs, events)


def test_pod_state():
    assert diagnose.pod_state(None) == "not created"
    assert diagnose.pod_state(make_pod(0, deleting=1)) == "Terminating"
    assert diagnose.pod_state(make_pod(0, phase="Running")) == "Running, not Ready"


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
    problems = explained(sts, pods, {}, [])
    assert problems[0]["pod"] == "redis-2"
    assert problems[1]["summary"] == (
        "Ready at revision v1, waiting to be updated to v2 (RollingUpdate proceeds only while all "
        "pods are Ready)")
    pods[2] = make_pod(2, ready=True, revision="v2")
    problems = explained(make_sts(ready=3, update_revision="v2", updated=1), pods, {}, [])
    assert problems[0]["summary"] == "Ready at revision v1, waiting to be updated to v2"


def test_explain_limits_detailed_pods():
    sts = make_sts(replicas=5, ready=0, status_replicas=5, policy="Parallel")
    pods = [make_pod(i, phase="Pending", containers=[container(waiting="ErrImagePull")]) for i in range(5)]
    problems = explained(sts, pods, {}, [])
    assert [bool(p["details"]) for p in problems] == [True, True, True, False, False]


def test_explain_status_only_with_events():
    sts = make_sts(ready=3, generation=2, observed=1)
    events = [make_event("StatefulSet", "redis", "Whatever", "something", uid="sts-uid")]
    problems = explained(sts, ready_pods(3), {}, events)
    assert problems[0]["state"] == "status"
    assert problems[0]["hints"] == ["is kube-controller-manager running?"]
    assert problems[0]["details"] == ["StatefulSet event Whatever: something"]
    # status lag without generation lag: no controller hint
    problems = explained(make_sts(ready=2, status_replicas=3), ready_pods(3), {}, [])
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
    found = diagnose.events_for(events, "Pod", "redis-0")
    assert [e["reason"] for e in found] == ["A", "B"]
    assert diagnose.event_text(found[0]) == "A: n1 (x4)"


def test_failure_message_and_waiting_variants():
    sts = make_sts(ready=0, status_replicas=1, partition=1)
    pods = [make_pod(0, phase="Pending", containers=[container(waiting="ImagePullBackOff")])]
    problems = explained(sts, pods, None, [])
    msg = failure_message(evaluate(sts, pods), problems, 12.25)
    assert msg.startswith("StatefulSet default/redis is not ready after 12.2s: 0 of 3 pods Ready "
                          "(podManagementPolicy OrderedReady, updateStrategy RollingUpdate partition 1). "
                          "Stuck at ordinal 0 (redis-0): Pending: container redis: ImagePullBackOff. "
                          "Hint: check the image reference redis:7 and that the node can pull it. "
                          "Ordinal 1 (redis-1): not created yet: with podManagementPolicy OrderedReady")
    sts = make_sts(ready=3, generation=2, observed=1)
    problems = explained(sts, ready_pods(3), {}, [])
    assert failure_message(evaluate(sts, ready_pods(3)), problems, 5).endswith(
        "pods Ready (podManagementPolicy OrderedReady, updateStrategy RollingUpdate). The StatefulSet "
        "status is not final: the StatefulSet controller has not observed generation 2 "
        "yet (status.observedGeneration is 1). Hint: is kube-controller-manager running?")
