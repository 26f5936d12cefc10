"""YAML documents with line numbers (pure: text in, documents out).

Every loader in ferry reads YAML through :func:`load_documents`, so that every error and finding can name the file,
the document and the line. Uses libyaml when present.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from ferry.errors import ManifestError

__all__ = ["YamlDocument", "dump_yaml", "load_documents"]

try:  # libyaml is an order of magnitude faster; pure Python is the fallback.
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
    _Dumper: type[yaml.SafeDumper] = yaml.CSafeDumper  # type: ignore[assignment,unused-ignore]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader
    _Dumper = yaml.SafeDumper

PathKey = tuple[str | int, ...]

_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_SCALARS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp"))
_MERGE = "tag:yaml.org,2002:merge"
_RESOLVED: dict[str, str] = {}
_RESOLVED_MAX = 50_000


_PLAIN_TAGS: dict[type[yaml.Node], str] = {yaml.ScalarNode: _STR, yaml.MappingNode: _MAP, yaml.SequenceNode: _SEQ}
_NO_PATH_RESOLVERS = not _Loader.yaml_path_resolvers


class _CachingLoader(_Loader):  # type: ignore[valid-type,misc]
    """The safe loader, remembering how plain scalars resolve (libyaml calls the Python resolver for each node).

    Without path resolvers (SafeLoader has none) a node's tag depends only on its kind and, for a plain scalar,
    its text: quoted scalars are strings, collections maps and sequences, plain scalars go through the cache.
    """

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        if not _NO_PATH_RESOLVERS:
            return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]
        if kind is not yaml.ScalarNode or not implicit[0]:
            return _PLAIN_TAGS[kind]
        tag = _RESOLVED.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_RESOLVED) < _RESOLVED_MAX:
                _RESOLVED[value] = tag
        return tag

    if _NO_PATH_RESOLVERS:  # path resolvers are the only state these two keep

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass


class _Unusual(Exception):
    """A node the fast constructor leaves to PyYAML (aliased collections, merge keys, other tags)."""


def _construct(loader: yaml.SafeLoader, node: yaml.Node, seen: set[int]) -> Any:
    """PyYAML's construction of plain trees (str/map/seq and plain scalar tags), without its per-node bookkeeping."""
    kind, tag = type(node), node.tag
    if kind is yaml.ScalarNode:
        if tag == _STR:
            return node.value
        if tag in _SCALARS:
            return loader.yaml_constructors[tag](loader, node)
        raise _Unusual
    if id(node) in seen:  # an alias: PyYAML shares the object
        raise _Unusual
    seen.add(id(node))
    # String scalars, most of any manifest, are taken inline; the value before the key, as PyYAML does.
    if kind is yaml.MappingNode and tag == _MAP:
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not yaml.ScalarNode or key_node.tag == _MERGE:
                raise _Unusual
            if type(value_node) is yaml.ScalarNode and value_node.tag == _STR:
                value = value_node.value
            else:
                value = _construct(loader, value_node, seen)
            mapping[key_node.value if key_node.tag == _STR else _construct(loader, key_node, seen)] = value
        return mapping
    if kind is yaml.SequenceNode and tag == _SEQ:
        return [
            item.value if type(item) is yaml.ScalarNode and item.tag == _STR else _construct(loader, item, seen)
            for item in node.value
        ]
    raise _Unusual


def _construct_document(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return _construct(loader, node, set())
    except _Unusual:
        return loader.construct_document(node)


@dataclass(frozen=True)
class YamlDocument:
    """One document of a YAML stream.

    Attributes:
        data: the constructed value (usually a mapping).
        index: 0-based position of the document in its stream.
        line: 1-based line where the document starts.
    """

    data: Any
    index: int
    line: int
    _node: yaml.Node | None = field(default=None, repr=False, compare=False)

    def line_of(self, *path: str | int) -> int:
        """The 1-based line of the value at ``path`` (mapping keys and list indexes), or of its nearest parent.

        A mapping key's line names a mapping step, a list item's own line a list step; the first of duplicate keys
        wins. (Inlined: loaders ask for the line of nearly every field they read.)
        """
        node = self._node
        best = self.line
        for step in path:
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                for key, value in node.value:
                    if key.value == step and isinstance(key, yaml.ScalarNode):
                        best, node = key.start_mark.line + 1, value
                        break
                else:
                    break
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                node = node.value[step]
                best = node.start_mark.line + 1
            else:
                break
        return best


def load_documents(text: str, path: str = "<string>") -> list[YamlDocument]:
    """Parse a (multi-document) YAML stream, keeping each document's line numbers.

    Empty documents are skipped but keep their index. Raises :class:`ManifestError` with the line and document of
    the first syntax error.
    """
    documents: list[YamlDocument] = []
    loader = _CachingLoader(text)
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                data = _construct_document(loader, node)
                if data is not None:
                    documents.append(YamlDocument(data=data, index=index, line=node.start_mark.line + 1, _node=node))
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ManifestError(
            f"invalid YAML: {problem}",
            path=path,
            line=line,
            document=index,
            hint="fix the syntax at that line; the rest of the file was not read",
        ) from exc
    except yaml.YAMLError as exc:
        raise ManifestError(f"invalid YAML: {exc}", path=path, document=index) from exc
    finally:
        loader.dispose()
    return documents


def iter_documents(text: str, path: str = "<string>") -> Iterator[YamlDocument]:
    """Like :func:`load_documents`, as an iterator."""
    yield from load_documents(text, path)


def dump_yaml(data: Any, *, documents: bool = False) -> str:
    """Deterministic YAML: key order as given, block style, unicode kept; ``documents`` joins a list as a stream."""
    if documents:
        return yaml.dump_all(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True)
