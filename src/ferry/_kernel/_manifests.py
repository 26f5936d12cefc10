"""Kubernetes objects from YAML or JSON text (pure).

Accepts single and multi-document streams, ``kind: List`` (and every ``*List`` kind ``kubectl get -o yaml``
prints), and JSON. Each object remembers where it came from.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ferry._kernel._yaml import YamlDocument, load_documents
from ferry.errors import ManifestError

__all__ = ["KubeObject", "SourceRef", "parse_manifests"]


@dataclass(frozen=True)
class SourceRef:
    """Where something was read: file, 0-based document index, 1-based line, and the item inside a List."""

    path: str
    document: int | None = None
    line: int | None = None
    item: int | None = None

    def __str__(self) -> str:
        text = self.path + (f":{self.line}" if self.line is not None else "")
        extra = []
        if self.document is not None:
            extra.append(f"document {self.document}")
        if self.item is not None:
            extra.append(f"item {self.item}")
        return text + (f" ({', '.join(extra)})" if extra else "")

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "document": self.document, "line": self.line, "item": self.item}


@dataclass(frozen=True)
class KubeObject:
    """A Kubernetes object and where it was read. ``body`` is the object as parsed (treat it as read-only)."""

    body: Mapping[str, Any]
    source: SourceRef
    document: YamlDocument | None = None
    path_prefix: tuple[str | int, ...] = ()

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @property
    def group(self) -> str:
        """The API group ("" for the core group)."""
        version = self.api_version
        return version.split("/", 1)[0] if "/" in version else ""

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def metadata(self) -> Mapping[str, Any]:
        meta = self.body.get("metadata")
        return meta if isinstance(meta, Mapping) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def namespace(self) -> str:
        """The namespace, or "" for cluster-scoped objects and objects that leave it to the apply-time default."""
        return str(self.metadata.get("namespace", "") or "")

    @property
    def labels(self) -> Mapping[str, str]:
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, Mapping) else {}

    @property
    def annotations(self) -> Mapping[str, str]:
        annotations = self.metadata.get("annotations")
        return annotations if isinstance(annotations, Mapping) else {}

    @property
    def ref(self) -> str:
        """``Kind namespace/name`` (or ``Kind name`` when cluster-scoped)."""
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def line_of(self, *path: str | int) -> int | None:
        """The line of a field of this object (``obj.line_of("spec", "rules", 0, "host")``)."""
        if self.document is None:
            return self.source.line
        if not self.path_prefix:
            return self.document.line_of(*path)
        return self.document.line_of(*self.path_prefix, *path)

    def where(self, *path: str | int) -> str:
        """``file:line (Kind ns/name, field a.b[0].c)`` for messages."""
        line = self.line_of(*path)
        text = self.source.path + (f":{line}" if line is not None else "")
        detail = self.ref
        if path:
            detail += ", field " + _field_path(path)
        return f"{text} ({detail})"


def _field_path(path: tuple[str | int, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def _is_list_kind(body: Mapping[str, Any]) -> bool:
    kind = body.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and isinstance(body.get("items"), list)


def _objects_from(doc: YamlDocument, path: str) -> Iterator[KubeObject]:
    data = doc.data
    if not isinstance(data, Mapping):
        raise ManifestError(
            f"expected a Kubernetes object (a mapping), found {type(data).__name__}",
            path=path,
            line=doc.line,
            document=doc.index,
        )
    if _is_list_kind(data):
        for i, item in enumerate(data["items"]):
            line = doc.line_of("items", i)
            if not isinstance(item, Mapping):
                raise ManifestError(
                    f"List item {i} is not an object", path=path, line=line, document=doc.index, field=f"items[{i}]"
                )
            _check_object(item, path, line, doc.index)
            yield KubeObject(
                body=item,
                source=SourceRef(path, doc.index, line, i),
                document=doc,
                path_prefix=("items", i),
            )
        return
    _check_object(data, path, doc.line, doc.index)
    yield KubeObject(body=data, source=SourceRef(path, doc.index, doc.line), document=doc)


def _check_object(body: Mapping[str, Any], path: str, line: int | None, index: int) -> None:
    for key in ("apiVersion", "kind"):
        if not isinstance(body.get(key), str) or not body.get(key):
            raise ManifestError(
                f"not a Kubernetes object: '{key}' is missing or not a string",
                path=path,
                line=line,
                document=index,
                field=key,
            )
    meta = body.get("metadata")
    if meta is not None and not isinstance(meta, Mapping):
        raise ManifestError("'metadata' must be a mapping", path=path, line=line, document=index, field="metadata")


def parse_manifests(text: str, path: str = "<string>") -> list[KubeObject]:
    """Every Kubernetes object in ``text`` (YAML stream or JSON). Raises :class:`ManifestError` on the first problem."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")) and path.endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ManifestError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from exc
        docs = data if isinstance(data, list) else [data]
        out: list[KubeObject] = []
        for i, item in enumerate(docs):
            out.extend(_objects_from(YamlDocument(data=item, index=i, line=1), path))
        return out
    objects: list[KubeObject] = []
    for doc in load_documents(text, path):
        objects.extend(_objects_from(doc, path))
    return objects
