"""Pack a root file system tar into a one-layer OCI image-layout tar (stdlib only), for
`ctr images import`: no registry, no Docker.

  python3 oci-image.py --rootfs ROOTFS.tar | --file SRC:DEST ... --name NAME [--entrypoint JSON]
               [--cmd JSON] [--workdir DIR] [--env K=V ...] --out IMAGE.tar

The layer is the uncompressed tar (media type ...layer.v1.tar), so its digest is also its
diff ID. The index names the image both ways containerd reads (io.containerd.image.name and
org.opencontainers.image.ref.name).
"""
import argparse
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest(), os.path.getsize(path)


def files_layer(specs, path):
    """A layer tar made of SRC:DEST files (mode kept, owned by root)."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        for spec in specs:
            src, dest = spec.split(":", 1)
            info = t.gettarinfo(src, arcname=dest.lstrip("/"))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            with open(src, "rb") as f:
                t.addfile(info, f)


def add_bytes(t, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    t.addfile(info, io.BytesIO(data))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rootfs")
    p.add_argument("--file", action="append", default=[])
    p.add_argument("--name", required=True)
    p.add_argument("--entrypoint", type=json.loads)
    p.add_argument("--cmd", type=json.loads)
    p.add_argument("--workdir")
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--out", required=True)
    a = p.parse_args()
    if bool(a.rootfs) == bool(a.file):
        p.error("give --rootfs or --file, not both")

    work = tempfile.mkdtemp(prefix="oci-image-")
    try:
        layer = a.rootfs
        if a.file:
            layer = os.path.join(work, "layer.tar")
            files_layer(a.file, layer)
        layer_digest, layer_size = sha256_file(layer)
        config = {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] + a.env},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_digest]},
            "history": [{"created_by": "tests/cluster/images/oci-image.py"}],
        }
        for key, value in (("Entrypoint", a.entrypoint), ("Cmd", a.cmd), ("WorkingDir", a.workdir)):
            if value:
                config["config"][key] = value
        config_bytes = json.dumps(config, sort_keys=True).encode()
        config_digest = hashlib.sha256(config_bytes).hexdigest()
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": "sha256:" + config_digest, "size": len(config_bytes)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": "sha256:" + layer_digest, "size": layer_size}],
        }
        manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
        manifest_digest = hashlib.sha256(manifest_bytes).hexdigest()
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": "sha256:" + manifest_digest, "size": len(manifest_bytes),
                           "annotations": {"io.containerd.image.name": a.name,
                                           "org.opencontainers.image.ref.name": a.name.rsplit(":", 1)[-1]}}],
        }
        partial = a.out + ".partial"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as t:
            add_bytes(t, "oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
            add_bytes(t, "index.json", json.dumps(index, sort_keys=True).encode())
            add_bytes(t, "blobs/sha256/" + config_digest, config_bytes)
            add_bytes(t, "blobs/sha256/" + manifest_digest, manifest_bytes)
            t.add(layer, arcname="blobs/sha256/" + layer_digest)
        os.replace(partial, a.out)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
