"""Diagnostic waiter for benchmarks/bench.py: statefulset_ready's wait loop without Ansible.

  lib_waiter.py KUBECONFIG NAMESPACE NAME

Calls module_utils.watch.wait_for_rollout() in this process (PYTHONPATH: the .collections
directory) and prints one JSON line: when the imports were done and when the call returned
(time.time()), and the loop's own request count. It shows what the wait costs without
ansible-playbook, its worker and the module's process around it; the headline figures come
from the Ansible waiter.
"""

import json
import sys
import time

T0 = time.time()

from ansible_collections.stateful.nfs_redis.plugins.module_utils.kube import make_api  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.stateful.nfs_redis.plugins.module_utils.watch import wait_for_rollout  # noqa: E402  pylint: disable=wrong-import-position


def main(kubeconfig, namespace, name):
    t_imported = time.time()
    api = make_api(kubeconfig=kubeconfig)
    result = wait_for_rollout(api, name, namespace, timeout=300)
    t_return = time.time()
    print(json.dumps({"t_start": T0, "t_imported": t_imported, "t_return": t_return, "ready": result["ready"],
                      "api_requests": result["api_requests"], "elapsed": result["elapsed"]}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
