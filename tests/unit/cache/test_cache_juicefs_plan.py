"""Runtime options to a JuiceFS volume config and command lines: validation, credentials kept off argv."""

from __future__ import annotations

import pytest

import ferry.cache as fc
from ferry.cache._jfs_plan import (
    dataset_dir,
    endpoint_of,
    format_argv,
    gateway_argv,
    manifest_path,
    mount_argv,
    split_meta_password,
    status_argv,
    umount_argv,
    volume_config,
    warmup_argv,
)

OPTS = {"name": "models", "metaurl": "redis://10.0.0.5:6379/1", "storage": "s3", "bucket": "http://s3:8333/jfs"}


def _rt(**options: str) -> fc.Runtime:
    return fc.Runtime(name="models", namespace="ml", type="juicefs", options=options, quota=10 << 30)


def test_options_map_to_the_volume_and_quota_to_cache_size() -> None:
    cfg = volume_config(_rt(**OPTS), {"access-key": "AK", "secret-key": "SK"}, cache_dir="/var/cache/jfs")
    assert (cfg.name, cfg.metaurl, cfg.storage, cfg.bucket) == ("models", OPTS["metaurl"], "s3", OPTS["bucket"])
    assert cfg.cache_size_mib == 10 * 1024 and cfg.cache_dir == "/var/cache/jfs"
    assert cfg.meta_endpoint == ("10.0.0.5", 6379) and cfg.bucket_endpoint == ("s3", 8333)
    assert cfg.env() == {"ACCESS_KEY": "AK", "SECRET_KEY": "SK"}
    assert "SK" not in repr(cfg) and "AK" not in repr(cfg)


def test_secrets_never_reach_a_command_line() -> None:
    cfg = volume_config(
        _rt(name="models", bucket="http://s3:8333/jfs"),
        {"metaurl": "redis://:hunter2@10.0.0.5:6380/3", "access-key": "AK", "secret-key": "SK"},
        cache_dir="/c",
    )
    assert cfg.metaurl == "redis://10.0.0.5:6380/3" and cfg.env()["META_PASSWORD"] == "hunter2"
    argvs = [
        status_argv("juicefs", cfg),
        format_argv("juicefs", cfg),
        mount_argv("juicefs", cfg, "/mnt/jfs", "127.0.0.1:9567"),
        gateway_argv("juicefs", cfg, "127.0.0.1:9000", "127.0.0.1:9568"),
    ]
    for argv in argvs:
        joined = " ".join(argv)
        assert "hunter2" not in joined and "SK" not in joined.split() and "AK" not in joined.split()
    assert format_argv("juicefs", cfg) == [
        "juicefs", "format", "--storage", "s3", "--bucket", "http://s3:8333/jfs", "--no-update",
        "redis://10.0.0.5:6380/3", "models",
    ]  # fmt: skip
    mount = mount_argv("juicefs", cfg, "/mnt/jfs", "127.0.0.1:9567")
    assert mount[:2] == ["juicefs", "mount"] and mount[-2:] == ["redis://10.0.0.5:6380/3", "/mnt/jfs"]
    assert mount[mount.index("--cache-dir") + 1] == "/c" and mount[mount.index("--cache-size") + 1] == "10240"
    assert mount[mount.index("--metrics") + 1] == "127.0.0.1:9567" and "-d" not in mount
    assert "--keep-etag" in gateway_argv("juicefs", cfg, "127.0.0.1:9000", "m")


@pytest.mark.parametrize(
    ("options", "creds", "message", "field"),
    [
        ({"metaurl": "redis://h/1", "colour": "red"}, {}, "unknown JuiceFS option 'colour'", "spec.options.colour"),
        ({}, {}, "needs the metadata engine's URL", "spec.options.metaurl"),
        ({"metaurl": "redis://h/1"}, {"metaurl": "redis://h/2"}, "both in options", "spec.options.metaurl"),
        ({"metaurl": "mongodb://h/1"}, {}, "unsupported metadata engine", "spec.options.metaurl"),
        ({"metaurl": "redis://h/1", "name": "a_b"}, {}, "volume name", "spec.options.name"),
        ({"metaurl": "redis://h/1", "storage": "gcs"}, {}, "unsupported storage", "spec.options.storage"),
        ({"metaurl": "redis://h/1", "bucket": "s3://b"}, {}, "endpoint URL", "spec.options.bucket"),
        ({"metaurl": "redis://h/1", "mode": "nfs"}, {}, "fuse or gateway", "spec.options.mode"),
        ({"metaurl": "redis://h/1", "mountPath": "rel"}, {}, "absolute", "spec.options.mountPath"),
    ],
)
def test_bad_options_name_the_runtime_and_field(
    options: dict[str, str], creds: dict[str, str], message: str, field: str
) -> None:
    with pytest.raises(fc.VolumeError) as caught:
        volume_config(_rt(**options), creds, cache_dir="/c")
    assert message in str(caught.value)
    assert f"Runtime ml/models, field {field}" in str(caught.value)


def test_sqlite_is_an_explicit_single_node_option_and_format_needs_a_bucket() -> None:
    cfg = volume_config(_rt(metaurl="sqlite3:///var/lib/jfs/meta.db"), {}, cache_dir="/c")
    assert cfg.meta_endpoint is None and cfg.meta_scheme == "sqlite3"
    with pytest.raises(fc.VolumeError, match="not formatted yet and the Runtime names no bucket"):
        format_argv("juicefs", cfg)


def test_helpers() -> None:
    assert split_meta_password("redis://10.0.0.5/1") == ("redis://10.0.0.5/1", None)
    assert split_meta_password("redis://user:pw@[::1]:6379/2") == ("redis://user@[::1]:6379/2", "pw")
    assert endpoint_of("https://s3.example.com/b", 80) == ("s3.example.com", 443)
    assert endpoint_of("not a url", 80) is None
    assert warmup_argv("j", "/l", threads=8, check=True) == ["j", "warmup", "-f", "/l", "-p", "8", "--check"]
    assert warmup_argv("j", "/l", evict=True)[-1] == "--evict"
    assert umount_argv("j", "/m") == ["j", "umount", "--force", "/m"]
    assert manifest_path("ml", "llm") == ".ferry/datasets/ml/llm.json" and dataset_dir("ml", "llm") == "datasets/ml/llm"


def test_runtime_encrypt_options_parse_from_yaml() -> None:
    spec = fc.parse_spec(
        "apiVersion: cache.ferry.dev/v1alpha1\nkind: Runtime\nmetadata: {name: models, namespace: ml}\n"
        "spec:\n  type: juicefs\n  cacheDir: /var/jfsCache\n  quota: 20Gi\n"
        "  options: {name: models, metaurl: 'redis://r:6379/1', bucket: 'http://s3:8333/jfs'}\n"
        "  encryptOptions:\n  - {name: access-key, valueFrom: {secretKeyRef: {name: jfs, key: ak}}}\n"
    )
    (runtime,) = spec.runtimes
    assert runtime.type == "juicefs" and runtime.encrypt_options == (fc.EncryptOption("access-key", "jfs", "ak"),)
