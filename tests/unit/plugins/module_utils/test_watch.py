# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watch loop driven by realistic event sequences on a fake API server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.stateful.nfs_redis.plugins.module_utils.kube import (
    Forbidden,
    Gone,
    KubeError,
    Transient,
    Unreachable,
    WatchDropped,
)
from ansible_collections.stateful.nfs_redis.plugins.module_utils.reflector import (
    Reflector,
    ThreadedInbox,
    backoff,
)
from ansible_collections.stateful.nfs_redis.plugins.module_utils.watch import (
    RolloutWaiter,
    WaitFailed,
    wait_for_rollout,
)
from ansible_collections.stateful.nfs_redis.tests.unit.plugins.module_utils.k8s_fakes import (
    FakeApi,
    FakeClock,
    FakeCluster,
    container,
    make_event,
    make_pod,
    make_pvc,
    make_sts,
    set_status,
    stepping,
)

PODS = "pods"
STS = "statefulsets"
PVCS = "persistentvolumeclaims"
EVENTS = "events"


def cluster_with(sts, pods=(), pvcs=None):
    cluster = FakeCluster(FakeClock())
    cluster.put(STS, sts)
    for pod in pods:
        cluster.put(PODS, pod)
    for pvc in (pvcs if pvcs is not None else [make_pvc("data-redis-%d" % i) for i in range(3)]):
        cluster.put(PVCS, pvc)
    return cluster


def waiter(cluster, timeout=60, check_mode=False, api=None, name="redis"):
    api = api or FakeApi(cluster)
    return RolloutWaiter(api, name, "default", timeout, check_mode=check_mode,
                         clock=cluster.clock, inbox_factory=stepping(cluster)), api


def ordered_rollout(cluster, sts, replicas=3, step=3, first=1):
    """Schedule pods 0..replicas-1 created then Ready one after the other,
    with the StatefulSet status following each Ready."""
    t = first
    for i in range(replicas):
        created = t
        cluster.at(t, (PODS, make_pod(i, created=created)))
        cluster.at(t + 1, (PODS, make_pod(i, created=created, phase="Running", containers=[
            container(running=True)])))
        cluster.at(t + 2, (PODS, make_pod(i, ready=True, created=created, ready_time=t + 2)),
                   (STS, set_status(sts, replicas=i + 1, readyReplicas=i + 1, currentReplicas=i + 1,
                                    updatedReplicas=i + 1)))
        t += step
    return t - step + 2  # when the last pod is Ready


# ---------------------------------------------------------------------------
# happy paths
# ---------------------------------------------------------------------------


def test_ordered_rollout_returns_when_last_pod_ready():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    done_at = ordered_rollout(cluster, sts)
    cluster.at(50, (PODS, make_pod(5, created=50)))  # must never be reached
    w, api = waiter(cluster)
    result = w.run()
    assert result["ready"] is True
    assert result["elapsed"] == done_at
    assert result["ready_order"] == ["redis-0", "redis-1", "redis-2"]
    assert result["order_violations"] == []
    assert result["order_enforced"] is True
    assert result["api_requests_by_verb"] == {"list": 3, "watch": 2, "get": 0}
    assert result["api_requests"] == 5
    assert [p["claims"] for p in result["pods"]] == [
        [{"name": "data-redis-%d" % i, "phase": "Bound"}] for i in range(3)
    ]
    assert result["pods"][2]["ready_at"] == "2025-01-01T00:00:%02dZ" % done_at
    assert result["warnings"] == []
    assert cluster.steps  # the step at t=50 was not needed
    assert result["watch"]["events"] > 0


def test_already_ready_needs_three_requests_and_no_watch():
    sts = make_sts(ready=3)
    pods = [make_pod(i, ready=True, created=i * 10, ready_time=i * 10 + 5) for i in range(3)]
    cluster = cluster_with(sts, pods)
    w, api = waiter(cluster)
    result = w.run()
    assert result["ready"] is True
    assert result["api_requests"] == 3
    assert api.requests["watch"] == 0
    assert result["ready_order"] == ["redis-0", "redis-1", "redis-2"]
    assert result["elapsed"] == 0


def test_no_claims_skips_pvc_request():
    sts = make_sts(ready=1, replicas=1, templates=())
    cluster = cluster_with(sts, [make_pod(0, ready=True, claims=())], pvcs=[])
    result = waiter(cluster)[0].run()
    assert result["ready"] is True
    assert result["api_requests"] == 2


def test_out_of_order_readiness_is_reported_not_failed():
    sts = make_sts(ready=0, status_replicas=3)
    pods = [make_pod(i, created=i) for i in range(3)]
    cluster = cluster_with(sts, pods)
    cluster.at(5, (PODS, make_pod(1, ready=True, created=1, ready_time=5)))
    cluster.at(6, (PODS, make_pod(0, ready=True, created=0, ready_time=6)))
    cluster.at(7, (PODS, make_pod(2, ready=True, created=2, ready_time=7)),
               (STS, set_status(sts, readyReplicas=3, updatedReplicas=3)))
    result = waiter(cluster)[0].run()
    assert result["ready"] is True
    assert result["ready_order"] == ["redis-1", "redis-0", "redis-2"]
    assert len(result["order_violations"]) == 1
    violation = result["order_violations"][0]
    assert violation["pod"] == "redis-1"
    assert violation["not_ready_predecessors"] == ["redis-0"]
    assert violation["evidence"] == "observed"
    assert any("OrderedReady order violated: redis-1 became Ready" in w for w in result["warnings"])


def test_parallel_policy_does_not_check_order():
    sts = make_sts(ready=0, status_replicas=3, policy="Parallel")
    pods = [make_pod(i, created=0) for i in range(3)]
    cluster = cluster_with(sts, pods)
    cluster.at(1, (PODS, make_pod(2, ready=True, ready_time=1)))
    cluster.at(2, (PODS, make_pod(0, ready=True, ready_time=2)))
    cluster.at(3, (PODS, make_pod(1, ready=True, ready_time=3)),
               (STS, set_status(sts, readyReplicas=3, updatedReplicas=3)))
    result = waiter(cluster)[0].run()
    assert result["ready"] is True
    assert result["order_enforced"] is False
    assert result["order_violations"] == []
    assert result["ready_order"] == ["redis-2", "redis-0", "redis-1"]
    assert "order is not enforced" in result["message"]


def test_pod_deleted_and_recreated_mid_wait():
    sts = make_sts(ready=2, status_replicas=3)
    pods = [make_pod(0, ready=True, created=0, ready_time=1),
            make_pod(1, ready=True, created=2, ready_time=3),
            make_pod(2, created=4)]
    cluster = cluster_with(sts, pods)
    cluster.at(10, lambda: cluster.delete(PODS, "redis-0"),
               (STS, set_status(sts, readyReplicas=1, replicas=2)))
    cluster.at(11, (PODS, make_pod(0, created=11)))
    cluster.at(12, (PODS, make_pod(2, ready=True, created=4, ready_time=12)),
               (STS, set_status(sts, readyReplicas=2, replicas=3)))
    cluster.at(14, (PODS, make_pod(0, ready=True, created=11, ready_time=14)),
               (STS, set_status(sts, readyReplicas=3, replicas=3, updatedReplicas=3)))
    result = waiter(cluster)[0].run()
    assert result["ready"] is True
    assert result["elapsed"] == 14
    assert result["order_violations"] == []  # redis-0 is younger than redis-2: excused
    assert result["ready_order"] == ["redis-1", "redis-2", "redis-0"]
    assert result["pods"][0]["uid"] == "redis-0-uid-11"


def test_partitioned_rollout_completes():
    # generation 2 changed the template; partition 2 updates only redis-2
    sts = make_sts(ready=3, generation=2, observed=2, partition=2, update_revision="redis-v2",
                   current_revision="redis-v1", updated=0)
    pods = [make_pod(i, ready=True, created=i, ready_time=i + 1) for i in range(3)]
    cluster = cluster_with(sts, pods)
    cluster.at(2, (PODS, make_pod(2, ready=True, created=2, ready_time=3, deleting=2)),
               (STS, set_status(sts, readyReplicas=2)))
    cluster.at(3, lambda: cluster.delete(PODS, "redis-2"))
    cluster.at(4, (PODS, make_pod(2, created=4, revision="redis-v2")))
    cluster.at(6, (PODS, make_pod(2, ready=True, created=4, ready_time=6, revision="redis-v2")),
               (STS, set_status(sts, readyReplicas=3, updatedReplicas=1)))
    result = waiter(cluster)[0].run()
    assert result["ready"] is True
    assert result["elapsed"] == 6
    assert result["partition"] == 2
    assert "partitioned rollout complete" in result["message"]
    assert [p["updated"] for p in result["pods"]] == [False, False, True]


def test_scale_down_waits_for_extra_pods():
    sts = make_sts(replicas=1, ready=3, status_replicas=3, generation=2, observed=2)
    pods = [make_pod(i, ready=True, created=i, ready_time=i + 1) for i in range(3)]
    cluster = cluster_with(sts, pods)
    cluster.at(1, (PODS, make_pod(2, ready=True, created=2, ready_time=3, deleting=1)))
    cluster.at(3, lambda: cluster.delete(PODS, "redis-2"),
               (STS, set_status(sts, readyReplicas=2, replicas=2)))
    cluster.at(4, (PODS, make_pod(1, ready=True, created=1, ready_time=2, deleting=4)))
    cluster.at(7, lambda: cluster.delete(PODS, "redis-1"),
               (STS, set_status(sts, readyReplicas=1, replicas=1, updatedReplicas=1)))
    result = waiter(cluster)[0].run()
    assert result["ready"] is True
    assert result["elapsed"] == 7
    assert [p["name"] for p in result["pods"]] == ["redis-0"]


def test_scale_down_timeout_names_the_extra_pod():
    sts = make_sts(replicas=1, ready=1, status_replicas=2, generation=2, observed=2)
    pods = [make_pod(0, ready=True), make_pod(1, ready=True, created=2, deleting=3,
                                              finalizers=["example.com/block"])]
    cluster = cluster_with(sts, pods)
    with pytest.raises(WaitFailed) as info:
        waiter(cluster, timeout=10)[0].run()
    assert ("Waiting for ordinal 1 (redis-1): scale-down to 1 replicas, waiting for the pod to go "
            "(terminating since 2025-01-01T00:00:03Z)") in info.value.msg
    assert "terminating since" in info.value.msg


def test_ondelete_does_not_wait_for_outdated_pods():
    sts = make_sts(ready=3, strategy="OnDelete", generation=2, observed=2, update_revision="redis-v2",
                   current_revision="redis-v1", updated=0)
    pods = [make_pod(i, ready=True, created=i) for i in range(3)]
    cluster = cluster_with(sts, pods)
    w, api = waiter(cluster)
    result = w.run()
    assert result["ready"] is True
    assert result["outdated_pods"] == ["redis-0", "redis-1", "redis-2"]
    assert api.requests["watch"] == 0
    assert any("OnDelete" in w and "not waited for" in w for w in result["warnings"])
    assert "not waited for" in result["message"]


def test_min_ready_seconds_waits_for_available():
    sts = make_sts(replicas=1, ready=0, min_ready=10, available=0)
    cluster = cluster_with(sts)
    cluster.at(1, (PODS, make_pod(0, created=1)))
    cluster.at(2, (PODS, make_pod(0, ready=True, created=1, ready_time=2)),
               (STS, set_status(sts, replicas=1, readyReplicas=1, updatedReplicas=1,
                                availableReplicas=0)))
    cluster.at(12, (STS, set_status(sts, replicas=1, readyReplicas=1, updatedReplicas=1,
                                    availableReplicas=1)))
    result = waiter(cluster)[0].run()
    assert result["ready"] is True
    assert result["elapsed"] == 12


def test_spec_change_waits_for_observed_generation():
    sts = make_sts(ready=1, replicas=1, generation=2, observed=1)
    pods = [make_pod(0, ready=True)]
    cluster = cluster_with(sts, pods)
    cluster.at(3, (STS, set_status(sts, observedGeneration=2)))
    result = waiter(cluster)[0].run()
    assert result["elapsed"] == 3


# ---------------------------------------------------------------------------
# failures with diagnostics
# ---------------------------------------------------------------------------


def test_pvc_stays_pending_times_out_with_reasons():
    sts = make_sts(ready=0, status_replicas=1)
    pod = make_pod(0, node=None, scheduled=False,
                   unschedulable="0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.")
    cluster = cluster_with(sts, [pod], pvcs=[make_pvc("data-redis-0", phase="Pending")])
    cluster.put(EVENTS, make_event("PersistentVolumeClaim", "data-redis-0", "ProvisioningFailed",
                                   'storageclass.storage.k8s.io "nfs-client" not found',
                                   uid="data-redis-0-uid", count=12))
    cluster.put(EVENTS, make_event("Pod", "redis-0", "FailedScheduling",
                                   "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.",
                                   uid="redis-0-uid-0"))
    w, api = waiter(cluster, timeout=30)
    with pytest.raises(WaitFailed) as info:
        w.run()
    msg = info.value.msg
    assert msg.startswith("StatefulSet default/redis is not ready after 30s: 0 of 3 pods Ready")
    assert "Stuck at ordinal 0 (redis-0): Pending" in msg
    assert 'PVC data-redis-0 is Pending: ProvisioningFailed: storageclass.storage.k8s.io "nfs-client" not found (x12)' in msg
    assert 'StorageClass "nfs-client" does not exist' in msg
    assert "Ordinal 1 (redis-1): not created yet: with podManagementPolicy OrderedReady" in msg
    result = info.value.result
    assert result["stuck"][0]["ordinal"] == 0
    assert result["ready"] is False
    assert result["pods"][0]["claims"] == [{"name": "data-redis-0", "phase": "Pending"}]
    assert result["api_requests_by_verb"] == {"list": 4, "watch": 2, "get": 0}
    assert result["elapsed"] == 30


def test_image_pull_failure_names_the_ordinal():
    sts = make_sts(ready=1, status_replicas=2)
    cluster = cluster_with(sts, [make_pod(0, ready=True)])
    cluster.at(1, (PODS, make_pod(1, created=1, phase="Pending", containers=[
        container(waiting="ContainerCreating")])))
    cluster.at(3, (PODS, make_pod(1, created=1, phase="Pending", containers=[
        container(waiting="ErrImagePull", message="rpc error: not found", image="redis:nope")])))
    cluster.at(9, (PODS, make_pod(1, created=1, phase="Pending", containers=[
        container(waiting="ImagePullBackOff", message='Back-off pulling image "redis:nope"',
                  image="redis:nope")])))
    with pytest.raises(WaitFailed) as info:
        waiter(cluster, timeout=20)[0].run()
    msg = info.value.msg
    assert 'Stuck at ordinal 1 (redis-1): Pending: container redis: ImagePullBackOff: Back-off pulling image "redis:nope"' in msg
    assert "check the image reference redis:nope" in msg
    assert info.value.result["stuck"][0]["pod"] == "redis-1"


def test_failed_mount_exit_32_hints_nfs_client():
    sts = make_sts(ready=0, status_replicas=1)
    pod = make_pod(0, phase="Pending", node="worker-2", containers=[container(waiting="ContainerCreating")])
    cluster = cluster_with(sts, [pod])
    cluster.put(EVENTS, make_event(
        "Pod", "redis-0", "FailedMount",
        "MountVolume.SetUp failed for volume \"pvc-1\" : mount failed: exit status 32\nMounting command: "
        "mount\nOutput: mount: wrong fs type, bad option, bad superblock on 192.0.2.1:/data, missing "
        "codepage or helper program, or other error", uid="redis-0-uid-0", count=5))
    with pytest.raises(WaitFailed) as info:
        waiter(cluster, timeout=5)[0].run()
    assert ("the node worker-2 cannot mount NFS: install NFS client utilities on the node "
            "(stateful.nfs_redis.nfs_client role)") in info.value.msg


@pytest.mark.parametrize("timeout", [0, 5])
def test_a_failed_wait_evaluates_its_last_state_once(monkeypatch, timeout):
    """The diagnostics and the failure message are made from the evaluation the
    wait ended with, not from evaluations of their own."""
    from ansible_collections.stateful.nfs_redis.plugins.module_utils import rollout

    calls = []
    original = rollout.evaluate

    def counted(sts, pods):
        calls.append(1)
        return original(sts, pods)

    monkeypatch.setattr(rollout, "evaluate", counted)
    sts = make_sts(ready=0, status_replicas=1)
    cluster = cluster_with(sts, [make_pod(0)])
    cluster.at(1, (PODS, make_pod(0, phase="Running", containers=[container(running=True)])))
    with pytest.raises(WaitFailed) as info:
        waiter(cluster, timeout=timeout)[0].run()
    # one at the start, one after each change the watch applied (none with timeout 0)
    assert len(calls) == 1 + (timeout > 0)
    assert info.value.msg.startswith("StatefulSet default/redis is not ready after %ds: 0 of 3" % timeout)


def test_timeout_zero_checks_once():
    sts = make_sts(ready=0, status_replicas=0)
    cluster = cluster_with(sts)
    w, api = waiter(cluster, timeout=0)
    with pytest.raises(WaitFailed) as info:
        w.run()
    assert api.requests["watch"] == 0
    assert "ordinal 0 (redis-0): not created yet" in info.value.msg
    assert "no warning events on the StatefulSet" in info.value.msg


def test_controller_not_observing():
    sts = make_sts(ready=1, replicas=1, generation=3, observed=2)
    cluster = cluster_with(sts, [make_pod(0, ready=True)])
    with pytest.raises(WaitFailed) as info:
        waiter(cluster, timeout=5)[0].run()
    assert "has not observed generation 3" in info.value.msg
    assert "is kube-controller-manager running?" in info.value.msg


def test_missing_statefulset_fails_fast():
    cluster = FakeCluster(FakeClock())
    w, api = waiter(cluster, timeout=300)
    with pytest.raises(WaitFailed) as info:
        w.run()
    assert "StatefulSet default/redis does not exist" in info.value.msg
    assert info.value.result["api_requests"] == 1
    assert info.value.result["elapsed"] == 0


def test_missing_statefulset_in_check_mode_warns():
    cluster = FakeCluster(FakeClock())
    result = waiter(cluster, check_mode=True)[0].run()
    assert result["exists"] is False
    assert result["ready"] is False
    assert "check mode" in result["warnings"][0]


def test_check_mode_reports_without_waiting():
    sts = make_sts(ready=1, status_replicas=2)
    cluster = cluster_with(sts, [make_pod(0, ready=True), make_pod(1, created=3, containers=[
        container(waiting="CrashLoopBackOff", message="back-off 40s restarting failed container",
                  restarts=4, last_exit={"exitCode": 1, "reason": "Error"})])])
    cluster.at(1, (PODS, make_pod(1, ready=True)))
    w, api = waiter(cluster, check_mode=True)
    result = w.run()
    assert result["ready"] is False
    assert api.requests["watch"] == 0
    assert result["stuck"][0]["pod"] == "redis-1"
    assert "restarts 4, last exit code 1, Error" in result["message"]
    assert "is not ready (check mode)" in result["message"]
    assert "kubectl logs --previous -n default redis-1 -c redis" in result["message"]


def test_unreachable_api_fails_at_once():
    cluster = cluster_with(make_sts())
    api = FakeApi(cluster)
    api.fail("list", STS, Unreachable("list statefulsets: cannot connect to the API server: "
                                      "[Errno 111] Connection refused"))
    w, api = waiter(cluster, api=api, timeout=300)
    with pytest.raises(WaitFailed) as info:
        w.run()
    assert info.value.msg.startswith("Cannot reach the Kubernetes API server")
    assert "Connection refused" in info.value.msg
    assert info.value.result["elapsed"] == 0


def test_forbidden_fails_at_once():
    cluster = cluster_with(make_sts())
    api = FakeApi(cluster)
    api.fail("list", PODS, Forbidden('list pods: HTTP 403: pods is forbidden: User "x" cannot list '
                                     'resource "pods"', 403))
    with pytest.raises(WaitFailed) as info:
        waiter(cluster, api=api, timeout=300)[0].run()
    assert info.value.msg.startswith("Access denied: list pods: HTTP 403")
    assert "get, list and watch on statefulsets.apps and pods" in info.value.msg
    assert info.value.result["api_requests"] == 2


def test_forbidden_watch_fails_at_once():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    api = FakeApi(cluster)
    api.fail("watch", PODS, Forbidden("watch pods: HTTP 403: forbidden", 403))
    with pytest.raises(WaitFailed) as info:
        waiter(cluster, api=api, timeout=300)[0].run()
    assert info.value.msg.startswith("Access denied: watch pods")
    assert info.value.result["elapsed"] == 0


def test_forbidden_error_event_in_stream_fails():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    cluster.at(1, lambda: cluster.disrupt(PODS, "forbid"))
    with pytest.raises(WaitFailed) as info:
        waiter(cluster, timeout=300)[0].run()
    assert "Access denied" in info.value.msg
    assert info.value.result["elapsed"] == 1


def test_unexpected_error_in_reflector_fails():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    api = FakeApi(cluster)
    api.fail("watch", PODS, RuntimeError("boom"))
    with pytest.raises(WaitFailed) as info:
        waiter(cluster, api=api)[0].run()
    assert info.value.msg == "Watching pods failed: RuntimeError: boom"


def test_other_api_error_in_reflector_fails():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    api = FakeApi(cluster)
    api.fail("watch", PODS, KubeError("watch pods: HTTP 400: bad selector", 400))
    with pytest.raises(WaitFailed) as info:
        waiter(cluster, api=api)[0].run()
    assert info.value.msg == "Kubernetes API request failed: watch pods: HTTP 400: bad selector"


def test_statefulset_deleted_mid_wait():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    cluster.at(4, lambda: cluster.delete(STS, "redis"))
    with pytest.raises(WaitFailed) as info:
        waiter(cluster)[0].run()
    assert "was deleted while waiting" in info.value.msg
    assert info.value.result["elapsed"] == 4


def test_statefulset_gone_after_relist():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)

    def vanish():
        cluster.delete(STS, "redis")
        cluster.compact(STS)
        cluster.disrupt(STS, "expire")

    cluster.at(4, vanish)
    with pytest.raises(WaitFailed) as info:
        waiter(cluster)[0].run()
    assert "was deleted while waiting" in info.value.msg


def test_diagnostics_forbidden_degrades_to_warning():
    sts = make_sts(ready=0, status_replicas=1)
    cluster = cluster_with(sts, [make_pod(0)])
    api = FakeApi(cluster)
    api.fail("list", EVENTS, Forbidden("list events: HTTP 403: events is forbidden", 403))
    api.fail("list", PVCS, Forbidden("list persistentvolumeclaims: HTTP 403: forbidden", 403))
    with pytest.raises(WaitFailed) as info:
        waiter(cluster, api=api, timeout=2)[0].run()
    warnings = info.value.result["warnings"]
    assert any(w.startswith("Could not read events") for w in warnings)
    assert any(w.startswith("Could not read PersistentVolumeClaims") for w in warnings)
    assert info.value.result["pods"][0]["claims"] == [{"name": "data-redis-0", "phase": "Unknown"}]


def test_busy_namespace_events_fetched_per_object():
    sts = make_sts(ready=1, status_replicas=2)
    pod = make_pod(1, phase="Pending", containers=[container(waiting="ContainerCreating")])
    cluster = cluster_with(sts, [make_pod(0, ready=True), pod],
                           pvcs=[make_pvc("data-redis-0"), make_pvc("data-redis-1", phase="Pending")])
    for i in range(30):
        cluster.put(EVENTS, make_event("Pod", "noise-%d" % i, "BackOff", "noise", seq=i))
    cluster.put(EVENTS, make_event("Pod", "redis-1", "FailedMount", "mount failed: exit status 32",
                                   uid="redis-1-uid-0"))
    cluster.put(EVENTS, make_event("PersistentVolumeClaim", "data-redis-1", "ProvisioningFailed",
                                   "boom", uid="data-redis-1-uid"))
    api = FakeApi(cluster)
    api.page_size = 10  # 2 pages of 10 cannot hold 32 events
    w, api = waiter(cluster, api=api, timeout=3)
    with pytest.raises(WaitFailed) as info:
        w.run()
    assert "event FailedMount: mount failed: exit status 32" in info.value.msg
    assert "ProvisioningFailed: boom" in info.value.msg
    selectors = [c[2] for c in api.calls if c[0] == "list" and c[1] == EVENTS]
    assert selectors == [
        None,
        "involvedObject.kind=StatefulSet,involvedObject.name=redis",
        "involvedObject.kind=Pod,involvedObject.name=redis-1",
        "involvedObject.kind=PersistentVolumeClaim,involvedObject.name=data-redis-1",
    ]


def test_claims_not_matching_selector_are_fetched_by_name():
    sts = make_sts(ready=1, replicas=1)
    cluster = cluster_with(sts, [make_pod(0, ready=True)],
                           pvcs=[make_pvc("data-redis-0", labels={})])
    w, api = waiter(cluster)
    result = w.run()
    assert result["pods"][0]["claims"] == [{"name": "data-redis-0", "phase": "Bound"}]
    assert api.requests["get"] == 1


# ---------------------------------------------------------------------------
# watch robustness
# ---------------------------------------------------------------------------


def test_410_gone_in_stream_relists_and_completes():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    done_at = ordered_rollout(cluster, sts)

    def expire():
        cluster.compact(PODS)
        cluster.disrupt(PODS, "expire")

    cluster.at(4.5, expire)  # between pod-1's creation and readiness
    w, api = waiter(cluster)
    result = w.run()
    assert result["ready"] is True
    assert result["elapsed"] == done_at
    assert result["watch"]["expired"] == 1
    assert result["watch"]["relists"] == 1
    assert result["ready_order"] == ["redis-0", "redis-1", "redis-2"]
    assert api.requests["list"] == 4  # sts, pods, pods again, pvcs


def test_410_when_opening_watch_relists():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    done_at = ordered_rollout(cluster, sts)
    api = FakeApi(cluster)
    api.fail("watch", PODS, Gone("watch pods: HTTP 410: too old resource version"))
    result = waiter(cluster, api=api)[0].run()
    assert result["ready"] is True
    assert result["elapsed"] == done_at
    assert result["watch"]["expired"] == 1


def test_relist_sees_ready_transitions_missed_in_the_gap():
    sts = make_sts(ready=0, status_replicas=2, replicas=2)
    pods = [make_pod(0, created=0), make_pod(1, created=1)]
    cluster = cluster_with(sts, pods)

    def gap():
        # both became Ready while nobody watched; redis-1 first (violation by lastTransitionTime)
        cluster.put(PODS, make_pod(1, ready=True, created=1, ready_time=2))
        cluster.put(PODS, make_pod(0, ready=True, created=0, ready_time=3))
        cluster.put(STS, set_status(sts, readyReplicas=2, updatedReplicas=2))
        cluster.compact(PODS)
        cluster.disrupt(PODS, "expire")

    cluster.at(3, gap)
    result = waiter(cluster)[0].run()
    assert result["ready"] is True
    assert result["ready_order"] == ["redis-1", "redis-0"]
    assert result["order_violations"][0]["evidence"] == "lastTransitionTime"


def test_dropped_watch_resumes_without_losing_events():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    done_at = ordered_rollout(cluster, sts)
    cluster.at(2.5, lambda: cluster.disrupt(PODS, "drop"))
    cluster.at(5.5, lambda: cluster.disrupt(STS, "drop"))
    w, api = waiter(cluster)
    result = w.run()
    assert result["ready"] is True
    assert result["elapsed"] == done_at
    assert result["watch"]["reconnects"] == 2
    assert result["watch"]["relists"] == 0
    assert api.requests["watch"] == 4
    # the re-watch resumed from the last resourceVersion seen, not from scratch
    watches = [c for c in api.calls if c[0] == "watch" and c[1] == PODS]
    assert int(watches[1][2]) > int(watches[0][2])


def test_server_side_watch_timeout_rewatches():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    done_at = ordered_rollout(cluster, sts)
    cluster.at(2.5, lambda: cluster.disrupt(PODS, "end"))
    cluster.at(2.6, lambda: cluster.disrupt(PODS, "bookmark"))
    result = waiter(cluster)[0].run()
    assert result["elapsed"] == done_at
    assert result["watch"]["watches"] == 3


def test_api_unreachable_mid_wait_backs_off_and_recovers():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    ordered_rollout(cluster, sts)
    api = FakeApi(cluster)
    cluster.at(2.5, lambda: (cluster.disrupt(PODS, "drop"),
                             api.fail("watch", PODS, Unreachable("connection refused"), times=3)))
    result = waiter(cluster, api=api)[0].run()
    assert result["ready"] is True
    assert result["watch"]["reconnects"] == 4
    assert cluster.clock.sleeps == [0.2, 0.4, 0.8]


def test_api_unreachable_until_timeout_says_so():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    api = FakeApi(cluster)
    cluster.at(1, lambda: (cluster.disrupt(PODS, "drop"),
                           api.fail("watch", PODS, Unreachable("watch pods: connection refused"),
                                    times=1000),
                           api.fail("list", None, Unreachable("list: connection refused"), times=2)))
    with pytest.raises(WaitFailed) as info:
        waiter(cluster, api=api, timeout=20)[0].run()
    msg = info.value.msg
    assert msg.startswith("Lost contact with the API server while waiting (watch pods: connection refused)")
    assert "StatefulSet default/redis is not ready after 20s" in msg
    assert cluster.clock.sleeps[:7] == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
    assert info.value.result["elapsed"] == 20


def test_internal_error_event_reconnects():
    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    done_at = ordered_rollout(cluster, sts)
    cluster.at(2.5, lambda: cluster.disrupt(PODS, "error"))
    result = waiter(cluster)[0].run()
    assert result["elapsed"] == done_at
    assert result["watch"]["reconnects"] == 1


def test_unowned_pods_are_ignored():
    sts = make_sts(ready=1, replicas=1)
    stray = make_pod(1, ready=True, owner_uid="someone-else")
    cluster = cluster_with(sts, [make_pod(0, ready=True), stray])
    cluster.at(1, (PODS, make_pod(2, ready=True, owner_uid="other")))
    result = waiter(cluster)[0].run()
    assert [p["name"] for p in result["pods"]] == ["redis-0"]


def test_event_for_another_statefulset_name_is_ignored():
    sts = make_sts(ready=0, replicas=1)
    cluster = cluster_with(sts)
    w, api = waiter(cluster)
    w.sts = sts
    w._apply(("event", STS, "MODIFIED", make_sts(name="other", ready=1)))
    assert w.sts is sts


# ---------------------------------------------------------------------------
# reflector and inbox units
# ---------------------------------------------------------------------------


def test_backoff_schedule():
    assert [backoff(n) for n in range(1, 9)] == [0.0, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]


def test_reflector_stopped_before_it_starts_makes_no_request():
    cluster = cluster_with(make_sts())
    api = FakeApi(cluster)
    reflector = Reflector(api, STS, "default", resource_version=None, clock=cluster.clock)
    assert list(reflector.run(lambda: True, cluster.clock.sleep)) == []
    assert api.total_requests == 0


def test_reflector_closed_while_watching_is_not_a_dropped_watch():
    """close() from another thread ends the open stream at once and without an event:
    when the reflector was told to stop, that is no reason to count a reconnect."""
    stop = []

    class ClosedWhileOpen(list):
        closed = False

        def __iter__(self):
            stop.append(True)
            reflector.close()  # what ThreadedInbox.close() does from the waiter's thread
            return iter(())

        def close(self):
            self.closed = True

    class Api(FakeApi):
        def watch(self, *args, **kwargs):
            self.requests["watch"] += 1
            self.streams.append(ClosedWhileOpen())
            return self.streams[-1]

    cluster = cluster_with(make_sts())
    api = Api(cluster)
    reflector = Reflector(api, STS, "default", resource_version="1", clock=cluster.clock)
    assert list(reflector.run(lambda: bool(stop), cluster.clock.sleep)) == []
    assert api.streams[0].closed
    assert reflector.stats == {"watches": 1, "relists": 0, "expired": 0, "reconnects": 0, "events": 0}
    assert reflector.connected is True and reflector.last_error is None


def test_reflector_stops_inside_stream():
    sts = make_sts()
    cluster = cluster_with(sts)
    cluster.put(STS, set_status(sts, readyReplicas=1))
    cluster.put(STS, set_status(sts, readyReplicas=2))
    reflector = Reflector(FakeApi(cluster), STS, "default", resource_version="100",
                          clock=cluster.clock)
    stop = []
    gen = reflector.run(lambda: bool(stop), cluster.clock.sleep)
    assert next(gen)[0] == "event"
    stop.append(True)
    with pytest.raises(StopIteration):
        next(gen)


def test_reflector_backs_off_when_streams_end_at_once():
    class Empty(list):
        def close(self):
            pass

    class EmptyStreams(FakeApi):
        def watch(self, *args, **kwargs):
            self.requests["watch"] += 1
            return Empty()

    cluster = cluster_with(make_sts())
    api = EmptyStreams(cluster)
    reflector = Reflector(api, STS, "default", resource_version="1", clock=cluster.clock)
    assert list(reflector.run(lambda: len(cluster.clock.sleeps) >= 4, cluster.clock.sleep)) == []
    assert cluster.clock.sleeps == [0.2, 0.4, 0.8, 1.6]  # the first retry is immediate
    assert api.requests["watch"] == 5
    assert reflector.stats["reconnects"] == 5
    assert "ended at once" in str(reflector.last_error)
    assert reflector.connected is False


def test_reflector_close_without_stream_is_harmless():
    reflector = Reflector(None, STS, "default")
    reflector.close()


def test_threaded_inbox_with_real_threads():
    """The production inbox, real threads and a real clock: an ordered rollout
    played at 1 ms per step."""
    import time as real_time

    sts = make_sts(ready=0)
    cluster = cluster_with(sts)
    ordered_rollout(cluster, sts)
    api = FakeApi(cluster, idle_sleep=0.0005)
    w = RolloutWaiter(api, "redis", "default", 10, clock=real_time.monotonic,
                      inbox_factory=ThreadedInbox)
    player = {}

    original = w._watch

    def watch_and_play(*args):
        player["thread"] = cluster.play_in_real_time(scale=0.002)
        return original(*args)

    w._watch = watch_and_play
    result = w.run()
    assert result["ready"] is True
    assert result["ready_order"] == ["redis-0", "redis-1", "redis-2"]
    assert result["elapsed"] < 5
    player["thread"].join(1)


def test_threaded_inbox_reports_errors_and_times_out():
    class Boom:
        kind = "pods"

        def run(self, should_stop, sleep):
            yield from ()
            raise Transient("boom")

        def close(self):
            pass

    inbox = ThreadedInbox([Boom()])
    message = inbox.get(2)
    assert message[0] == "error" and isinstance(message[2], Transient)
    assert inbox.get(0.001) is None
    inbox.close()


def test_threaded_inbox_stop_discards_late_messages():
    import threading

    release = threading.Event()

    class Slow:
        kind = "pods"

        def run(self, should_stop, sleep):
            release.wait(2)
            yield ("event", "pods", "ADDED", {})
            raise WatchDropped("late")

        def close(self):
            release.set()

    inbox = ThreadedInbox([Slow()])
    inbox.close()
    assert inbox.get(0.01) is None


def test_wait_for_rollout_entry_point():
    sts = make_sts(ready=1, replicas=1)
    cluster = cluster_with(sts, [make_pod(0, ready=True)])
    result = wait_for_rollout(FakeApi(cluster), "redis", "default", 5, clock=cluster.clock,
                              inbox_factory=stepping(cluster))
    assert result["ready"] is True
