from __future__ import annotations

from pathlib import Path

from ferry._kernel import load_estate


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_estate_reads_manifests_and_sorts_files_into_areas(tmp_path: Path) -> None:
    _write(tmp_path, "k8s/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n")
    _write(tmp_path, "k8s/deep/b.yml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\n")
    _write(tmp_path, "boot/node1.txt", "BootCurrent: 0001\n")
    _write(tmp_path, "boot/node2.json", '{"Boot": {}}')
    _write(tmp_path, "traces/run.json", '{"resourceSpans": []}')
    _write(tmp_path, ".hidden/c.yaml", "not: [valid\n")
    estate = load_estate([tmp_path])
    assert sorted(o.ref for o in estate.objects) == ["ConfigMap x/a", "Deployment b"]
    assert [f.absolute.name for f in estate.files_in("boot")] == ["node1.txt", "node2.json"]
    assert [f.absolute.name for f in estate.files_in("traces")] == ["run.json"]
    assert estate.problems == ()
    assert next(estate.of_kind("Deployment", group="apps")).name == "b"
    assert estate.find("ConfigMap", "x", "a") is not None


def test_bad_files_are_problems_and_the_rest_is_read(tmp_path: Path) -> None:
    _write(tmp_path, "good.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")
    _write(tmp_path, "bad.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: [x\n")
    _write(tmp_path, "unknown.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    _write(tmp_path, "binary.yaml", "")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00bad")
    estate = load_estate([tmp_path, tmp_path / "missing"])
    assert [o.ref for o in estate.objects] == ["Service s", "Widget w"]
    by_file = {Path(p.path).name: p for p in estate.problems}
    assert by_file["bad.yaml"].line == 5 and "invalid YAML" in by_file["bad.yaml"].message
    assert by_file["unknown.yaml"].severity == "warning" and "unknown kind Widget" in by_file["unknown.yaml"].message
    assert "not UTF-8" in by_file["binary.yaml"].message
    assert by_file["missing"].message == "no such file or directory"


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")
    (tmp_path / "dir.yaml").mkdir()
    (tmp_path / "link.yaml").symlink_to(tmp_path / "nowhere.yaml")
    estate = load_estate([tmp_path])
    assert [o.name for o in estate.objects] == ["s"]
    assert any("cannot read" in p.message for p in estate.problems)
