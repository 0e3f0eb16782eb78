#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: statefulset_ready
short_description: Wait for a StatefulSet rollout, in ordinal order, and explain stalls
version_added: 0.1.0
author:
  - stateful.nfs_redis maintainers (@stateful-nfs-redis)
description:
  - Waits until a StatefulSet's rollout is complete, watching the StatefulSet and its pods
    (list, then watch from the list's resourceVersion) instead of polling, so it returns as soon
    as the condition holds.
  - Complete means, like C(kubectl rollout status statefulset) but stricter, that the controller
    observed the current spec (C(status.observedGeneration >= metadata.generation)),
    C(status.replicas) and C(status.readyReplicas) equal C(spec.replicas) (C(availableReplicas)
    too when C(spec.minReadySeconds > 0)), every ordinal below C(spec.replicas) has a pod that is
    Ready and not terminating, and no pod with an ordinal at or above C(spec.replicas) remains
    (a scale-down waits for the extra pods to go).
  - With C(updateStrategy=RollingUpdate) the pods whose ordinal is at or above the partition must
    run C(status.updateRevision) (their C(controller-revision-hash) label) and
    C(status.updatedReplicas >= replicas - partition); pods below the partition keep their
    revision, so a partitioned rollout completes.
  - With C(updateStrategy=OnDelete) the module does not wait for pods to be updated (only a
    deletion updates them); it returns when all pods are Ready and names the pods that are not
    at C(status.updateRevision) in RV(outdated_pods) and in a warning.
  - With C(podManagementPolicy=OrderedReady) it checks that each pod became Ready only after
    the pods with lower ordinals, from the transitions it observes and, for pods already Ready
    when it starts, from the Ready conditions' C(lastTransitionTime). A violation is reported as a
    warning and in RV(order_violations); it does not fail the task. With C(Parallel) the order
    is not enforced and not checked (RV(order_enforced) is false).
  - When the rollout is not complete within O(timeout) the task fails with diagnostics for the
    stuck ordinal, most important first - its phase, conditions and container waiting reasons
    (ImagePullBackOff, CrashLoopBackOff...), its PersistentVolumeClaims and the events that say
    why they are Pending, FailedScheduling and FailedMount events, and hints (for example that a
    node lacks the NFS client utilities). A pod not created yet because the previous ordinal is
    not Ready is reported as such.
  - Fails at once, without waiting, when the StatefulSet does not exist, when the API server
    cannot be reached when the wait starts, and on 401 or 403 answers. Once the wait has started,
    a dropped watch is resumed, a 410 Gone relists, and an API server that stops answering is
    retried with back-off until O(timeout).
  - Never changes anything; RV(changed) is always false.
options:
  name:
    description:
      - Name of the StatefulSet.
    type: str
    required: true
  namespace:
    description:
      - Namespace of the StatefulSet.
    type: str
    default: default
  timeout:
    description:
      - How many seconds to wait for the rollout to complete.
      - V(0) checks once and fails with diagnostics when the rollout is not complete.
    type: int
    default: 300
extends_documentation_fragment:
  - stateful.nfs_redis.k8s_auth
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode the module reports the current state and diagnostics without waiting and
        without failing when the rollout is not complete (RV(ready) tells). A StatefulSet that
        does not exist gives a warning instead of a failure, since an earlier task may not have
        created it in check mode.
  diff_mode:
    support: none
  platform:
    platforms: all
    details:
      - Runs wherever the kubernetes python client can reach the API server, usually the controller.
requirements:
  - python >= 3.8
  - kubernetes >= 29.0.0
  - PyYAML >= 3.11
notes:
  - The module makes a handful of API requests per wait whatever its length - a list and a watch
    for the StatefulSet and for its pods, a new watch every 90 seconds and after a broken
    connection, one list of PVCs at the end, and one list of the namespace's events only when it
    has to explain a stall. RV(api_requests) counts them. kubernetes.core's client set-up may add
    up to three discovery requests on the first run against a cluster (cached afterwards).
  - The credentials need C(get), C(list) and C(watch) on C(statefulsets.apps) and C(pods), and
    C(list) on C(persistentvolumeclaims) and C(events) in the namespace. Without the last two the
    wait still works; diagnostics are poorer and a warning says so.
  - Events expire (one hour by default), so the diagnostics of a long-stuck rollout may lack them.
seealso:
  - module: kubernetes.core.k8s
    description: Its O(kubernetes.core.k8s#module:wait) option polls every O(kubernetes.core.k8s#module:wait_sleep) seconds and does not understand partitions.
  - name: StatefulSet update strategies
    description: Kubernetes documentation about partitions and OnDelete.
    link: https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#update-strategies
"""

EXAMPLES = r"""
- name: Wait for the redis StatefulSet, ordinal by ordinal
  stateful.nfs_redis.statefulset_ready:
    name: redis
    namespace: redis
    timeout: 600
  register: sts_ready

- name: Show the order in which the pods became Ready
  ansible.builtin.debug:
    msg: "{{ sts_ready.ready_order }} in {{ sts_ready.elapsed }} s with {{ sts_ready.api_requests }} API requests"

- name: Use an explicit kubeconfig and context
  stateful.nfs_redis.statefulset_ready:
    name: redis
    namespace: redis
    kubeconfig: /etc/kubernetes/admin.conf
    context: kubernetes-admin@kubernetes

- name: Report the current state without waiting (also what check mode does)
  stateful.nfs_redis.statefulset_ready:
    name: redis
    namespace: redis
    timeout: 0
  register: redis_state
  ignore_errors: true

- name: Fail when pods became Ready out of order
  ansible.builtin.assert:
    that:
      - sts_ready.order_violations | length == 0
"""

RETURN = r"""
changed:
  description: Always false; the module only reads.
  returned: always
  type: bool
  sample: false
ready:
  description: Whether the rollout is complete. False only in check mode or in a failure.
  returned: always
  type: bool
  sample: true
exists:
  description: Whether the StatefulSet exists.
  returned: when the API answered
  type: bool
  sample: true
message:
  description: A one-line summary; on failure the same text as the failure message C(msg).
  returned: when the API answered
  type: str
  sample: "StatefulSet redis/redis: 3 of 3 pods Ready; revision redis-6d4f8c9b7"
elapsed:
  description: Seconds spent, from the first request to the decision.
  returned: always
  type: float
  sample: 41.207
pods:
  description: The pods the StatefulSet controls, by ordinal.
  returned: when the StatefulSet exists
  type: list
  elements: dict
  contains:
    ordinal:
      description: The pod's ordinal.
      type: int
      sample: 0
    name:
      description: The pod's name.
      type: str
      sample: redis-0
    uid:
      description: The pod's uid (changes when the pod is re-created).
      type: str
    phase:
      description: The pod's phase.
      type: str
      sample: Running
    ready:
      description: Whether the pod is Ready and not terminating.
      type: bool
      sample: true
    ready_at:
      description: The Ready condition's lastTransitionTime when the pod is Ready, else null.
      type: str
      sample: "2025-11-25T21:03:12Z"
    terminating:
      description: Whether the pod is being deleted.
      type: bool
    node:
      description: The node the pod runs on, or null when not scheduled.
      type: str
      sample: worker-1
    revision:
      description: The pod's C(controller-revision-hash) label.
      type: str
      sample: redis-6d4f8c9b7
    updated:
      description: Whether the pod runs C(status.updateRevision).
      type: bool
    claims:
      description: The PersistentVolumeClaims the pod mounts.
      type: list
      elements: dict
      contains:
        name:
          description: Claim name.
          type: str
          sample: data-redis-0
        phase:
          description: Claim phase; V(Missing) when it does not exist, V(Unknown) when it could not be read.
          type: str
          sample: Bound
ready_order:
  description: Names of the Ready pods in the order in which they became Ready.
  returned: when the StatefulSet exists
  type: list
  elements: str
  sample: [redis-0, redis-1, redis-2]
status:
  description: The StatefulSet's status as last seen.
  returned: when the StatefulSet exists
  type: dict
  sample: {"replicas": 3, "readyReplicas": 3, "updatedReplicas": 3, "observedGeneration": 2}
pod_management_policy:
  description: The StatefulSet's podManagementPolicy.
  returned: when the StatefulSet exists
  type: str
  sample: OrderedReady
update_strategy:
  description: The StatefulSet's updateStrategy type.
  returned: when the StatefulSet exists
  type: str
  sample: RollingUpdate
partition:
  description: The RollingUpdate partition in effect (0 for OnDelete).
  returned: when the StatefulSet exists
  type: int
  sample: 0
update_revision:
  description: C(status.updateRevision).
  returned: when the StatefulSet exists
  type: str
  sample: redis-6d4f8c9b7
order_enforced:
  description: Whether the readiness order was checked (podManagementPolicy OrderedReady).
  returned: when the StatefulSet exists
  type: bool
  sample: true
order_violations:
  description:
    - Pods that became Ready while an older pod with a lower ordinal was not Ready.
    - V(evidence) is V(observed) for transitions seen on the watch and V(lastTransitionTime)
      for those inferred from the Ready conditions of pods already Ready when the wait started
      (one-second resolution; a later readiness flap of the predecessor looks the same).
  returned: when the StatefulSet exists
  type: list
  elements: dict
  sample:
    - pod: redis-2
      ordinal: 2
      ready_at: "2025-11-25T21:03:12Z"
      not_ready_predecessors: [redis-1]
      evidence: observed
outdated_pods:
  description: With updateStrategy OnDelete, the Ready pods that are not at C(status.updateRevision) (not waited for).
  returned: when the StatefulSet exists
  type: list
  elements: str
  sample: [redis-0]
waiting_for:
  description: The StatefulSet status conditions that do not hold yet (empty when ready).
  returned: when the API answered
  type: list
  elements: str
stuck:
  description:
    - Diagnostics when the rollout is not complete, most important first.
    - Each item has V(ordinal), V(pod), V(state) (V(not_ready), V(terminating), V(missing),
      V(outdated), V(extra) or V(status)), V(phase), V(summary), V(details) and V(hints).
  returned: when the StatefulSet exists
  type: list
  elements: dict
  sample:
    - ordinal: 1
      pod: redis-1
      state: not_ready
      phase: Pending
      summary: Pending
      details:
        - 'PVC data-redis-1 is Pending: ProvisioningFailed: storageclass.storage.k8s.io "nfs" not found'
      hints:
        - 'StorageClass "nfs" does not exist: create it (stateful.nfs_redis.nfs_provisioner role)
          or fix the claim template''s storageClassName'
api_requests:
  description: Number of API requests this wait made (lists, watches, gets), excluding kubernetes.core's client set-up.
  returned: always
  type: int
  sample: 5
api_requests_by_verb:
  description: RV(api_requests) split into V(list), V(watch) and V(get).
  returned: always
  type: dict
  sample: {"list": 3, "watch": 2, "get": 0}
watch:
  description:
    - Counters of the watch loop.
    - V(watches) opened, V(relists) (after 410 Gone, not counting the initial lists), V(expired)
      (410 Gone seen), V(reconnects) (dropped watches or unanswered requests), V(events) received.
  returned: always
  type: dict
  sample: {"watches": 2, "relists": 0, "expired": 0, "reconnects": 0, "events": 14}
"""

import copy
import gc

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import (
    AUTH_ARG_SPEC,
)
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import (
    AnsibleK8SModule,
)
from ansible_collections.stateful.nfs_redis.plugins.module_utils.kube import (
    KubeError,
    make_api,
)
from ansible_collections.stateful.nfs_redis.plugins.module_utils.watch import (
    WaitFailed,
    error_message,
    wait_for_rollout,
)


def argument_spec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(
        name=dict(type="str", required=True),
        namespace=dict(type="str", default="default"),
        timeout=dict(type="int", default=300),
    )
    return spec


def run(module, api_factory=make_api, waiter=wait_for_rollout):
    params = module.params
    try:
        api = api_factory(module)
    except KubeError as exc:
        module.fail_json(
            msg=error_message(exc, params["namespace"]), changed=False, ready=False, api_requests=0
        )
        return
    failure = None
    try:
        result = waiter(
            api, params["name"], params["namespace"], params["timeout"], check_mode=module.check_mode
        )
    except WaitFailed as exc:
        failure, result = exc.msg, dict(exc.result)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    # The process ends right after the result is written. Its final garbage collection walks every
    # object the kubernetes client made (50-100 ms on 2 cores, benchmarks/README.md); frozen
    # objects are skipped, and everything else (atexit, flushing the result) still runs.
    gc.freeze()
    if failure is not None:
        module.fail_json(msg=failure, changed=False, **result)
        return
    module.exit_json(changed=False, **result)


def main():
    module = AnsibleK8SModule(argument_spec=argument_spec(), supports_check_mode=True)
    run(module)


if __name__ == "__main__":
    main()
