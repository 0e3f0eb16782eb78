#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: render_files
short_description: Write a list of rendered objects to a directory, one file each, in one run
version_added: 0.2.0
author:
  - stateful.nfs_redis maintainers (@stateful-nfs-redis)
description:
  - Writes every object of O(objects) as a YAML file C(NN-<kind>-<name>.yaml) in O(path),
    numbered from 01 in list order, and removes the files named C(NN-*.yaml) that an earlier run
    left there and this one does not write. What C(playbooks/render.yml) does, in one module run
    instead of one per file.
  - A file whose content and mode are already right is not written again (C(changed) is false
    when nothing changed). A Secret is written with mode C(0600), any other object with C(0644).
  - The objects' content is never returned. Run the task under C(no_log) when O(objects) holds a
    Secret, so that its arguments are not logged either.
options:
  path:
    description:
      - The directory to write to; created (mode C(0755)) when missing.
    type: path
    required: true
  objects:
    description:
      - The objects, in apply order. Each needs C(kind) and C(metadata.name).
    type: list
    elements: dict
    required: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reports what would be written and removed, and changes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Write the objects
  stateful.nfs_redis.render_files:
    path: /tmp/render
    objects: "{{ my_objects }}"
  delegate_to: localhost
"""

RETURN = r"""
files:
  description: The names of the files of this render, in apply order.
  returned: always
  type: list
  elements: str
  sample: [01-serviceaccount-nfs-client-provisioner.yaml]
written:
  description: The files written because they were new or different.
  returned: always
  type: list
  elements: str
removed:
  description: The files of an earlier render that were removed.
  returned: always
  type: list
  elements: str
"""

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.yaml import HAS_YAML

if HAS_YAML:
    import yaml

    _SafeDumper = yaml.SafeDumper
else:  # pragma: no cover - PyYAML comes with ansible-core
    _SafeDumper = object

OLD_FILE = re.compile(r"^[0-9][0-9]-.*\.yaml$")


class _Dumper(_SafeDumper):
    """Block style, two-space indented lists, multi-line strings as literal blocks."""

    def increase_indent(self, flow=False, indentless=False):
        return super(_Dumper, self).increase_indent(flow, False)


def _str(dumper, data):
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


if HAS_YAML:
    _Dumper.add_representer(str, _str)


def file_name(index, obj):
    """NN-<kind>-<name>.yaml, NN counted from 1."""
    return "%02d-%s-%s.yaml" % (index, str(obj["kind"]).lower(), obj["metadata"]["name"])


def to_yaml(obj):
    return "---\n" + yaml.dump(obj, Dumper=_Dumper, default_flow_style=False, sort_keys=False,
                               allow_unicode=True, width=1000000)


def plan(objects, existing):
    """The files to write ({name: (content, mode)}), and the old files to remove (sorted)."""
    files = {}
    order = []
    for i, obj in enumerate(objects, 1):
        name = file_name(i, obj)
        order.append(name)
        files[name] = (to_yaml(obj), 0o600 if obj.get("kind") == "Secret" else 0o644)
    stale = sorted(n for n in existing if OLD_FILE.match(n) and n not in files)
    return order, files, stale


def _same(path, content, mode):
    try:
        st = os.stat(path)
        with open(path, "rb") as f:
            return f.read() == content.encode("utf-8") and (st.st_mode & 0o7777) == mode
    except OSError:
        return False


def _write(path, content, mode):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".render-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode("utf-8"))
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            objects=dict(type="list", elements="dict", required=True),
        ),
        supports_check_mode=True,
    )
    if not HAS_YAML:  # pragma: no cover
        module.fail_json(msg=missing_required_lib("PyYAML"))
    path = module.params["path"]
    objects = module.params["objects"]
    for i, obj in enumerate(objects):
        if not obj.get("kind") or not isinstance(obj.get("metadata"), dict) or not obj["metadata"].get("name"):
            module.fail_json(msg="objects[%d] has no kind or no metadata.name" % i)
    if os.path.exists(path) and not os.path.isdir(path):
        module.fail_json(msg="%s exists and is not a directory" % path)
    existing = os.listdir(path) if os.path.isdir(path) else []
    order, files, stale = plan(objects, existing)
    written = [n for n in order if not _same(os.path.join(path, n), *files[n])]
    changed = bool(written or stale or not os.path.isdir(path))
    if not module.check_mode:
        try:
            if not os.path.isdir(path):
                os.makedirs(path, 0o755)
            for n in stale:
                os.unlink(os.path.join(path, n))
            for n in written:
                _write(os.path.join(path, n), *files[n])
        except OSError as e:
            module.fail_json(msg="cannot write to %s: %s" % (path, e))
    module.exit_json(changed=changed, files=order, written=written, removed=stale)


if __name__ == "__main__":
    main()
