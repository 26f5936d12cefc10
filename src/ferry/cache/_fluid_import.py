"""Getting a dataset's origins into a JuiceFS volume on Fluid: DataMigrate, DataProcess and its program (pure).

JuiceFS is a file system, not a cache in front of an origin: a dataset's files must be written into the volume
before anything can read them. S3 origins go in with a DataMigrate (``juicefs sync``); Fluid's DataMigrate has no
HTTP source and no host-path source, so those origins go in with a DataProcess whose script processor runs
:data:`IMPORT_SCRIPT` with the dataset mounted read-write. Fluid writes ``source`` to a file and runs
``command`` with that file as its argument, so the script runs as ``python3 <file>`` — the same way the tests run it.

The script speaks only the standard library (the stock ``python`` image), reads its instructions from the
environment (``FERRY_SOURCE``, ``FERRY_DEST``, ``FERRY_FILES``, ``FERRY_INDEX``, ``FERRY_TOKEN``,
``FERRY_SOURCE_NAME``), writes every file under a temporary name and renames it into place once its size and
sha256 (when the dataset declares them) match, retries server errors and resets, never carries the bearer token
across a redirect to another host, and skips files already in place with the declared size — so a restarted pod
(``restartPolicy: OnFailure``) picks up where it stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ferry.cache._fluid_common import dns_label, fluid_object, secret_ref
from ferry.cache._model import Dataset, Mount

__all__ = ["IMPORT_IMAGE", "IMPORT_IMAGE_TAG", "IMPORT_MOUNT", "IMPORT_SCRIPT", "SOURCE_MOUNT", "import_operations"]

IMPORT_IMAGE = "python"
IMPORT_IMAGE_TAG = "3.12-slim"
IMPORT_MOUNT = "/data"  # where the DataProcess mounts the Fluid dataset
SOURCE_MOUNT = "/ferry-source"  # where a host-path origin is mounted, read-only
_S3_KEYS = {"aws.accessKeyId": "access-key", "aws.secretKey": "secret-key", "aws.sessionToken": "token"}

Note = Callable[[str], None]

IMPORT_SCRIPT = '''\
"""ferry: copy one origin of a dataset into the Fluid dataset mounted read-write at FERRY_DEST."""
import hashlib
import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

SOURCE = os.environ["FERRY_SOURCE"]
DEST = os.environ["FERRY_DEST"]
ATTEMPTS = 6


class _Redirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never carry the bearer token to another host (the Hub redirects to a CDN)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            new.headers.pop("Authorization", None)
            new.unredirected_hdrs.pop("Authorization", None)
        return new


OPENER = urllib.request.build_opener(_Redirect)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _in_place(target, size, sha256):
    if size is None or not os.path.isfile(target) or os.path.getsize(target) != size:
        return False
    return sha256 is None or _sha256(target) == sha256


def _download(url, partial):
    headers = {"User-Agent": "ferry-import"}
    if os.environ.get("FERRY_TOKEN"):
        headers["Authorization"] = "Bearer " + os.environ["FERRY_TOKEN"]
    for attempt in range(ATTEMPTS):
        try:
            digest, done = hashlib.sha256(), 0
            request = urllib.request.Request(url, headers=headers)
            with OPENER.open(request, timeout=60) as resp, open(partial, "wb") as out:
                for chunk in iter(lambda: resp.read(1 << 20), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
            return done, digest.hexdigest()
        except urllib.error.HTTPError as exc:
            if exc.code < 500 and exc.code not in (408, 429):
                sys.exit(f"ferry import: GET {url}: HTTP {exc.code} {exc.reason}")
            error = f"HTTP {exc.code}"
        except OSError as exc:
            error = str(exc)
        if attempt + 1 == ATTEMPTS:
            sys.exit(f"ferry import: GET {url}: {error} (after {ATTEMPTS} attempts)")
        time.sleep(min(2 ** attempt, 30))
    raise AssertionError("unreachable")


def fetch(path, size=None, sha256=None):
    target = os.path.join(DEST, path)
    if _in_place(target, size, sha256):
        print(f"ferry import: {path} already in place")
        return 0
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = target + ".ferry-partial"
    url = SOURCE.rstrip("/") + "/" + urllib.parse.quote(path, safe="/-_.~")
    done, digest = _download(url, partial)
    if size is not None and done != size:
        os.remove(partial)
        sys.exit(f"ferry import: {url}: {done} bytes, the dataset declares {size}")
    if sha256 is not None and digest != sha256:
        os.remove(partial)
        sys.exit(f"ferry import: {url}: sha256 {digest}, the dataset declares {sha256}")
    os.replace(partial, target)
    print(f"ferry import: {path} ({done} bytes)")
    return done


def main():
    os.makedirs(DEST, exist_ok=True)
    if not SOURCE.startswith(("http://", "https://")):
        if os.path.isdir(SOURCE):
            shutil.copytree(SOURCE, DEST, dirs_exist_ok=True)
        else:
            shutil.copy2(SOURCE, os.path.join(DEST, os.environ.get("FERRY_SOURCE_NAME") or os.path.basename(SOURCE)))
        print(f"ferry import: copied {SOURCE} into {DEST}")
        return
    files = json.loads(os.environ.get("FERRY_FILES") or "[]")
    index = os.environ.get("FERRY_INDEX")
    if index:
        fetch(index)
        with open(os.path.join(DEST, index), encoding="utf-8") as fh:
            weight_map = json.load(fh).get("weight_map")
        if not isinstance(weight_map, dict):
            sys.exit(f"ferry import: {index} is not a safetensors index (no weight_map)")
        known = {f["path"] for f in files}
        base = os.path.dirname(index)
        for shard in sorted(set(map(str, weight_map.values()))):
            path = os.path.normpath(os.path.join(base, shard))
            if path not in known:
                files.append({"path": path})
    total = sum(fetch(f["path"], f.get("size"), f.get("sha256")) for f in files)
    print(f"ferry import: {len(files) + bool(index)} files, {total} bytes fetched into {DEST}")


main()
'''


def _sync_uri(mount: Mount) -> str:
    """The ``juicefs sync`` address of an S3 mount, as a directory (path-style ``minio://`` for HTTP endpoints)."""
    bucket, _, prefix = mount.mount_point.split("://", 1)[1].partition("/")
    tail = prefix.strip("/") + "/" if prefix.strip("/") else ""
    if endpoint := mount.options.get("endpoint"):
        parts = urlsplit(endpoint if "://" in endpoint else "http://" + endpoint)
        if parts.scheme == "https":
            return f"s3://{bucket}.{parts.netloc}/{tail}"
        return f"minio://{parts.netloc}/{bucket}/{tail}"
    region = mount.options.get("region", "us-east-1")
    return f"s3://{bucket}.s3.{region}.amazonaws.com/{tail}"


def _migrate(dataset: Dataset, mount: Mount, name: str, volume_dir: str, note: Note) -> dict[str, Any]:
    source: dict[str, Any] = {"uri": _sync_uri(mount)}
    creds = [secret_ref(_S3_KEYS[e.name], e.secret, e.key) for e in mount.encrypt_options if e.name in _S3_KEYS]
    if creds:
        source["encryptOptions"] = creds
    if "profile" in mount.options:
        note(
            f"Dataset {dataset.key}: mount {mount.name} reads a local AWS profile, which pods do not have; "
            "declare encryptOptions aws.accessKeyId and aws.secretKey for the import"
        )
    prefix = dataset.mount_prefix(mount)
    path = f"{volume_dir}/{prefix}/" if prefix else f"{volume_dir}/"
    target = {"name": dataset.name, "namespace": dataset.namespace, "path": path}
    return fluid_object(
        "DataMigrate", name, dataset.namespace, {"from": {"externalStorage": source}, "to": {"dataset": target}}
    )


def _process(dataset: Dataset, mount: Mount, name: str, note: Note) -> dict[str, Any]:
    prefix = dataset.mount_prefix(mount)
    dest = f"{IMPORT_MOUNT}/{prefix}" if prefix else IMPORT_MOUNT
    script: dict[str, Any] = {
        "image": IMPORT_IMAGE,
        "imageTag": IMPORT_IMAGE_TAG,
        "restartPolicy": "OnFailure",
        "command": ["python3"],
        "source": IMPORT_SCRIPT,
    }
    env: list[dict[str, Any]] = []
    if mount.scheme == "local":
        host = mount.mount_point.removeprefix("local://")
        host_name = host.rstrip("/").rpartition("/")[2]
        env += [{"name": "FERRY_SOURCE", "value": SOURCE_MOUNT}, {"name": "FERRY_SOURCE_NAME", "value": host_name}]
        script["volumes"] = [{"name": "ferry-source", "hostPath": {"path": host}}]
        script["volumeMounts"] = [{"name": "ferry-source", "mountPath": SOURCE_MOUNT, "readOnly": True}]
    else:
        env.append({"name": "FERRY_SOURCE", "value": mount.mount_point})
        if mount.files:
            files = [
                {k: v for k, v in (("path", f.path), ("size", f.size), ("sha256", f.sha256)) if v is not None}
                for f in mount.files
            ]
            env.append({"name": "FERRY_FILES", "value": json.dumps(files, separators=(",", ":"))})
        if index := mount.options.get("index"):
            env.append({"name": "FERRY_INDEX", "value": index})
        token = next((e for e in mount.encrypt_options if e.name == "token"), None)
        if token is not None:
            env.append(secret_ref("FERRY_TOKEN", token.secret, token.key))
        elif "huggingface.co" in mount.mount_point:
            note(
                f"Dataset {dataset.key}: mount {mount.name} has no token encryptOption; HF_TOKEN from a shell does "
                "not reach the import pod (public repositories need none)"
            )
    env.append({"name": "FERRY_DEST", "value": dest})
    script["env"] = env
    spec = {
        "dataset": {"name": dataset.name, "namespace": dataset.namespace, "mountPath": IMPORT_MOUNT},
        "processor": {"script": script},
    }
    return fluid_object("DataProcess", name, dataset.namespace, spec)


def import_operations(dataset: Dataset, volume_dir: str, note: Note) -> list[dict[str, Any]]:
    """One import per origin of ``dataset`` into ``volume_dir`` (its directory in the volume), chained in order."""
    out: list[dict[str, Any]] = []
    for mount in dataset.mounts:
        suffix = "" if len(dataset.mounts) == 1 else mount.name
        name = dns_label(dataset.name, "import", suffix)
        op = (
            _migrate(dataset, mount, name, volume_dir, note)
            if mount.scheme == "s3"
            else _process(dataset, mount, name, note)
        )
        if out:
            op["spec"]["runAfter"] = {
                "kind": out[-1]["kind"],
                "name": out[-1]["metadata"]["name"],
                "namespace": dataset.namespace,
            }
        out.append(op)
    return out
