# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""render_files: names, content, modes, stale files, check mode, a second run changes nothing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
import yaml

from ansible_collections.stateful.nfs_redis.plugins.modules import render_files
from ansible_collections.stateful.nfs_redis.tests.unit.plugins.modules.module_args import patch_module_args

OBJECTS = [
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa", "namespace": "ns"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "auth"}, "stringData": {"password": "pw"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
     "data": {"redis.conf": "port 6379\nappendonly yes\n", "z": "1", "a": "2"}},
]


def run(capsys, check_mode=False, **args):
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            render_files.main()
    return json.loads(capsys.readouterr().out)


def test_names_are_numbered_in_order_with_lowercase_kind():
    order, files, stale = render_files.plan(OBJECTS, [])
    assert order == ["01-serviceaccount-sa.yaml", "02-secret-auth.yaml", "03-configmap-cm.yaml"]
    assert [files[n][1] for n in order] == [0o644, 0o600, 0o644]
    assert stale == []


def test_content_round_trips_in_key_order_with_multiline_blocks():
    text = render_files.to_yaml(OBJECTS[2])
    assert text.startswith("---\n")
    assert yaml.safe_load(text) == OBJECTS[2]
    assert "redis.conf: |" in text
    assert text.index("\n  z:") < text.index("\n  a:")


def test_only_stale_numbered_files_are_removed():
    stale = render_files.plan(OBJECTS[:1], ["01-serviceaccount-sa.yaml", "02-old-x.yaml", "notes.txt", "x.yaml"])[2]
    assert stale == ["02-old-x.yaml"]


def test_first_run_writes_then_second_run_changes_nothing(tmp_path, capsys):
    out = tmp_path / "render"
    (tmp_path / "render").mkdir()
    (out / "09-deployment-old.yaml").write_text("x")
    first = run(capsys, path=str(out), objects=OBJECTS)
    assert first["changed"] and first["removed"] == ["09-deployment-old.yaml"]
    assert sorted(os.listdir(str(out))) == first["files"]
    assert os.stat(str(out / "02-secret-auth.yaml")).st_mode & 0o777 == 0o600
    # The arguments come back in "invocation" (render.yml runs the task under no_log when there is a
    # Secret); the result itself never holds the content.
    assert "pw" not in json.dumps(dict((k, v) for k, v in first.items() if k != "invocation"))
    second = run(capsys, path=str(out), objects=OBJECTS)
    assert not second["changed"] and second["written"] == [] and second["removed"] == []


def test_check_mode_reports_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "new"
    result = run(capsys, check_mode=True, path=str(out), objects=OBJECTS)
    assert result["changed"] and len(result["written"]) == 3
    assert not out.exists()


def test_an_object_without_name_fails(tmp_path, capsys):
    result = run(capsys, path=str(tmp_path), objects=[{"kind": "ConfigMap", "metadata": {}}])
    assert result["failed"] and "objects[0]" in result["msg"]
