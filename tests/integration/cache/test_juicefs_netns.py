"""Two JuiceFS clients in two network namespaces on one volume: node A (the host's namespace) imports and warms,
node B (a namespace the test creates, joined by a veth pair) reads — first from the object store, then from its own
block cache — and never touches the dataset's origin."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from cache_support import write_safetensors
from jfs_support import Forwarder, NetNode, Redis, run_worker, runtime_yaml

from ferry._kernel import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_node_in_another_network_namespace_reads_what_node_a_imported(
    seaweed, redis: Redis, netns: NetNode, no_leftovers: Path
) -> None:
    tmp = no_leftovers
    model = write_safetensors(tmp / "origin" / "model.safetensors", layers=12, rows=256)
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    size = model.stat().st_size
    # Redis and SeaweedFS listen on the host's 127.0.0.1; both nodes reach them at the veth address.
    host, port = seaweed.host.split(":")
    relays = [
        Forwarder((netns.host_ip, meta := free_port()), ("127.0.0.1", redis.port)),
        Forwarder((netns.host_ip, s3 := free_port()), (host, int(port))),
    ]
    try:
        spec = tmp / "spec.yaml"
        spec.write_text(
            "apiVersion: cache.ferry.dev/v1alpha1\nkind: Dataset\nmetadata: {name: llm, namespace: ml}\n"
            f"spec:\n  mounts:\n  - {{name: w, mountPoint: 'local://{model.parent}'}}\n---\n"
            + runtime_yaml(f"ns{os.getpid()}", f"redis://{netns.host_ip}:{meta}/1", f"http://{netns.host_ip}:{s3}/jfs")
        )
        a = run_worker(spec, tmp / "node-a", "--prefetch", "--read", "model.safetensors")
        b = run_worker(spec, tmp / "node-b", "--read", "model.safetensors", "--read", "model.safetensors", node=netns)
    finally:
        for relay in relays:
            relay.close()
    assert a["netns"] != b["netns"]  # two network namespaces
    assert a["prefetch"]["origin_bytes"] == size  # type: ignore[index]
    (read_a,) = a["reads"]  # type: ignore[misc]
    assert read_a["sha256"] == digest and read_a["metrics"]["object_get_bytes"] == 0
    first, second = b["reads"]  # type: ignore[misc]
    assert first["sha256"] == second["sha256"] == digest
    assert first["origin_bytes"] == 0 and first["metrics"]["object_get_bytes"] >= size
    assert second["metrics"]["object_get_bytes"] == 0  # B's block cache (or the page cache above it) serves it
    assert b["status"][0]["cached_bytes"] == size  # type: ignore[index]  # the blocks are in B's own cache now
