# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module is thin: options -> module_utils -> result."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.stateful.nfs_redis.tests.unit.plugins.modules.module_args import patch_module_args
from ansible_collections.stateful.nfs_redis.plugins.module_utils.kube import Unreachable
from ansible_collections.stateful.nfs_redis.plugins.module_utils.watch import WaitFailed
from ansible_collections.stateful.nfs_redis.plugins.modules import statefulset_ready
from ansible_collections.stateful.nfs_redis.tests.unit.plugins.module_utils.k8s_fakes import (
    FakeApi,
    FakeClock,
    FakeCluster,
    make_pod,
    make_sts,
    stepping,
)


class Exit(Exception):
    pass


class FakeModule:
    def __init__(self, params, check_mode=False):
        self.params = params
        self.check_mode = check_mode
        self.warnings = []
        self.exited = None
        self.failed = None

    def warn(self, text):
        self.warnings.append(text)

    def exit_json(self, **kwargs):
        self.exited = kwargs
        raise Exit()

    def fail_json(self, **kwargs):
        self.failed = kwargs
        raise Exit()


PARAMS = {"name": "redis", "namespace": "db", "timeout": 30}


def test_argument_spec_has_auth_options_and_ours():
    spec = statefulset_ready.argument_spec()
    assert spec["name"] == {"type": "str", "required": True}
    assert spec["namespace"]["default"] == "default"
    assert spec["timeout"] == {"type": "int", "default": 300}
    for option in ("kubeconfig", "context", "host", "api_key", "validate_certs", "ca_cert",
                   "client_cert", "client_key", "proxy", "impersonate_user"):
        assert option in spec


def test_success_passes_result_and_warnings():
    calls = {}

    def waiter(api, name, namespace, timeout, check_mode):
        calls.update(api=api, name=name, namespace=namespace, timeout=timeout, check_mode=check_mode)
        return {"ready": True, "warnings": ["w1"], "api_requests": 5}

    module = FakeModule(dict(PARAMS), check_mode=True)
    with pytest.raises(Exit):
        statefulset_ready.run(module, api_factory=lambda m: "api", waiter=waiter)
    assert calls == {"api": "api", "name": "redis", "namespace": "db", "timeout": 30, "check_mode": True}
    assert module.exited == {"changed": False, "ready": True, "api_requests": 5}
    assert module.warnings == ["w1"]


def test_wait_failure_is_a_task_failure_with_result():
    def waiter(*args, **kwargs):
        raise WaitFailed("stuck at ordinal 1", {"ready": False, "warnings": ["w"], "stuck": [1]})

    module = FakeModule(dict(PARAMS))
    with pytest.raises(Exit):
        statefulset_ready.run(module, api_factory=lambda m: "api", waiter=waiter)
    assert module.failed == {"msg": "stuck at ordinal 1", "changed": False, "ready": False, "stuck": [1]}
    assert module.warnings == ["w"]


def test_client_setup_failure():
    def factory(module):
        raise Unreachable("kubernetes.core client set-up: connection refused")

    module = FakeModule(dict(PARAMS))
    with pytest.raises(Exit):
        statefulset_ready.run(module, api_factory=factory)
    assert module.failed["msg"].startswith(
        "Cannot reach the Kubernetes API server: kubernetes.core client set-up: connection refused. ")
    assert module.failed["changed"] is False


def test_run_with_fake_cluster():
    cluster = FakeCluster(FakeClock())
    cluster.put("statefulsets", make_sts(ready=1, replicas=1))
    cluster.put("pods", make_pod(0, ready=True))
    api = FakeApi(cluster)

    def waiter(api, name, namespace, timeout, check_mode):
        from ansible_collections.stateful.nfs_redis.plugins.module_utils.watch import wait_for_rollout
        return wait_for_rollout(api, name, "default", timeout, check_mode=check_mode,
                                clock=cluster.clock, inbox_factory=stepping(cluster))

    module = FakeModule(dict(PARAMS))
    with pytest.raises(Exit):
        statefulset_ready.run(module, api_factory=lambda m: api, waiter=waiter)
    assert module.exited["ready"] is True
    assert module.exited["ready_order"] == ["redis-0"]
    assert module.exited["changed"] is False


def test_main_end_to_end_with_unreachable_host(capsys):
    """The real AnsibleK8SModule and kubernetes.core client against a closed local port."""
    pytest.importorskip("kubernetes")
    args = {"name": "redis", "namespace": "db", "timeout": 5, "host": "https://127.0.0.1:9",
            "validate_certs": False, "api_key": "not-a-real-token"}
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            statefulset_ready.main()
    out = json.loads(capsys.readouterr().out)
    assert out["failed"] is True
    assert out["changed"] is False
    assert out["msg"].startswith("Cannot reach the Kubernetes API server")
    assert "api_key" not in json.dumps(out.get("invocation", {}).get("module_args", {})) or \
        out["invocation"]["module_args"]["api_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
