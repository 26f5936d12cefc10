from __future__ import annotations

import pytest

from ferry._kernel import is_known_kind, parse_manifests
from ferry.errors import ManifestError

LIST = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: a, namespace: ns}
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata:
    name: web
    namespace: shop
    annotations:
      nginx.ingress.kubernetes.io/rewrite-target: /$2
"""


def test_list_items_become_objects_with_their_lines() -> None:
    objs = parse_manifests(LIST, "dump.yaml")
    assert [o.ref for o in objs] == ["ConfigMap ns/a", "Ingress shop/web"]
    ing = objs[1]
    assert ing.source.item == 1 and ing.source.line == 7
    assert ing.group == "networking.k8s.io"
    assert ing.annotations["nginx.ingress.kubernetes.io/rewrite-target"] == "/$2"
    assert ing.line_of("metadata", "annotations", "nginx.ingress.kubernetes.io/rewrite-target") == 13
    assert ing.where("metadata", "name") == "dump.yaml:10 (Ingress shop/web, field metadata.name)"


def test_kubectl_style_list_kinds_are_unwrapped() -> None:
    text = "apiVersion: v1\nkind: ConfigMapList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}\n"
    assert [o.ref for o in parse_manifests(text, "x.yaml")] == ["ConfigMap x"]


def test_json_manifests() -> None:
    objs = parse_manifests('{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}', "s.json")
    assert objs[0].kind == "Secret" and objs[0].namespace == ""


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("- a\n- b\n", "expected a Kubernetes object", 1),
        ("kind: Pod\nmetadata: {name: x}\n", "'apiVersion' is missing", 1),
        ("apiVersion: v1\nkind: Pod\nmetadata: [1]\n", "'metadata' must be a mapping", 1),
        ("apiVersion: v1\nkind: List\nitems:\n- 3\n", "List item 0 is not an object", 4),
        ("x: 1\n---\napiVersion: v1\nkind: 7\n", "'apiVersion' is missing", 1),
    ],
)
def test_malformed_objects_are_named(text: str, message: str, line: int) -> None:
    with pytest.raises(ManifestError) as info:
        parse_manifests(text, "m.yaml")
    assert message in info.value.message
    assert info.value.line == line


def test_bad_json_has_a_line() -> None:
    with pytest.raises(ManifestError) as info:
        parse_manifests('{\n"a": \n}', "x.json")
    assert info.value.line == 3


def test_known_kinds() -> None:
    assert is_known_kind("networking.k8s.io/v1", "Ingress")
    assert is_known_kind("gateway.networking.k8s.io/v1", "HTTPRoute")
    assert is_known_kind("v1", "ConfigMap")
    assert not is_known_kind("v1", "Ingress")
    assert not is_known_kind("example.com/v1", "Widget")
