"""Checklist 25-29: Kubernetes ConfigMap/Secret volumes (kubelet's AtomicWriter layout, re-enacted)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ferry.config import ConfigError, Directory, File, Reader, SourceNotFoundError

Kubelet = Callable[[Path, dict[str, str]], None]


def test_c25_atomic_writer_layout_exposes_every_key_and_skips_dot_dot_entries(tmp_path: Path, kubelet: Kubelet) -> None:
    vol = tmp_path / "vol"
    kubelet(vol, {"log.level": "debug\n", "config.yaml": "a: 1\n", "http.port": "8080"})
    names = sorted(os.listdir(vol))
    assert names[0].startswith("..2026") and "..data" in names
    assert all((vol / n).is_symlink() for n in ("log.level", "http.port"))
    provider = Directory(vol)
    assert sorted(provider.layer().table) == ["config.yaml", "http.port", "log.level"]
    reader = Reader([provider])
    assert reader.get("log.level") == "debug"
    assert reader.get("http.port", int) == 8080


def test_c25_plain_directories_follow_symlinked_files(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "value").write_text("linked")
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "key").symlink_to(tmp_path / "real" / "value")
    (vol / "..hidden").write_text("never")
    (vol / ".dotfile").write_text("never")
    assert Reader([Directory(vol)]).get("key") == "linked"
    assert len(Directory(vol)) == 1


def test_c26_nested_items_path_maps_to_dotted_keys(tmp_path: Path, kubelet: Kubelet) -> None:
    vol = tmp_path / "vol"
    kubelet(vol, {"log/level": "info", "http/server/timeout": "5"})
    reader = Reader([Directory(vol)])
    assert reader.get("log.level") == "info"
    assert reader.get("http.server.timeout", int) == 5
    assert reader.explain("http.server.timeout").encoded == "http/server/timeout"


def test_c27_after_an_update_the_next_snapshot_holds_all_new_values_and_no_old(
    tmp_path: Path, kubelet: Kubelet
) -> None:
    vol = tmp_path / "vol"
    kubelet(vol, {"a": "1", "b": "1", "gone": "x"})
    provider = Directory(vol)
    reader = Reader([provider])
    before = reader.snapshot()
    kubelet(vol, {"a": "2", "b": "2", "new": "y"})
    assert provider.reload() is True
    after = reader.snapshot()
    assert (after.get("a"), after.get("b"), after.get("new")) == ("2", "2", "y")
    assert after.get("gone", default=None) is None
    assert (before.get("a"), before.get("b"), before.get("gone")) == ("1", "1", "x")


def test_c27_a_volume_read_mid_swap_is_read_through_dot_dot_data(tmp_path: Path, kubelet: Kubelet) -> None:
    vol = tmp_path / "vol"
    kubelet(vol, {"a": "1"})
    provider = Directory(vol)
    kubelet(vol, {"a": "2", "b": "2"})
    os.unlink(vol / "b")  # step 10 not done yet: the visible link of the new key is missing
    assert provider.reload() is True
    assert Reader([provider]).get("b") == "2"


def test_c28_a_subpath_style_single_file_is_read(tmp_path: Path) -> None:
    mounted = tmp_path / "etc" / "app.yaml"  # subPath: a bind mount of one file, never swapped
    mounted.parent.mkdir()
    mounted.write_text("log:\n  level: info\n")
    assert Reader([File(mounted)]).get("log.level") == "info"
    docs = (Path(__file__).resolve().parents[3] / "docs" / "config.md").read_text()
    assert "subPath" in docs and "never" in docs


def test_c29_a_missing_directory_is_an_error_unless_optional_and_is_picked_up_later(tmp_path: Path) -> None:
    vol = tmp_path / "vol"
    with pytest.raises(SourceNotFoundError, match="allow_missing"):
        Directory(vol)
    with pytest.raises(ConfigError, match="not a directory"):
        (tmp_path / "file").write_text("")
        Directory(tmp_path / "file")
    provider = Directory(vol, allow_missing=True, watch=True, force_polling=True, poll_interval=0.02)
    try:
        reader = Reader([provider])
        assert reader.get("log.level", default=None) is None
        vol.mkdir()
        (vol / "log.level").write_text("debug")  # not atomic: a check may first see an empty file, then "debug"
        deadline = time.monotonic() + 5
        while reader.get("log.level", default=None) != "debug" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert reader.get("log.level") == "debug"
    finally:
        provider.close()


def test_c27_a_generation_removed_while_being_read_is_read_again(
    tmp_path: Path, kubelet: Kubelet, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ferry.config import _files

    vol = tmp_path / "vol"
    kubelet(vol, {"a": "1", "b": "1"})
    provider = Directory(vol)
    real_walk = _files._walk
    swapped = []

    def racing_walk(root: Path, relative: str = "") -> object:
        if not swapped:  # kubelet swaps and deletes the generation we just resolved, before we list it
            swapped.append(True)
            kubelet(vol, {"a": "2", "b": "2"})
        return real_walk(root, relative)

    monkeypatch.setattr(_files, "_walk", racing_walk)
    assert provider.reload() is True
    assert (provider.get("a"), provider.get("b")) == (b"2", b"2")  # never an empty or partial table
