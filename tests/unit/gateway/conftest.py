"""Fixtures for the gateway tests: the CRD schemas of ../shared/schemas as strict JSON-schema validators."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

SCHEMAS = Path(__file__).resolve().parents[3].parent / "shared" / "schemas"


def _strict(schema: Any) -> Any:
    """CRD schemas prune unknown fields silently; for tests an unknown field is an error."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        if out.get("x-kubernetes-int-or-string"):
            out.pop("type", None)
            out["type"] = ["integer", "string"]
        if out.get("nullable"):
            kind = out.get("type")
            if isinstance(kind, str):
                out["type"] = [kind, "null"]
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@cache
def _validators(channel: str) -> dict[tuple[str, str], Any]:
    import jsonschema

    folders = [SCHEMAS / "gateway-api" / channel, SCHEMAS / "envoy-gateway"]
    out: dict[tuple[str, str], Any] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            crd = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if not version.get("served"):
                    continue
                schema = dict(version["schema"]["openAPIV3Schema"])
                schema["properties"] = dict(schema.get("properties", {}))
                props = schema.setdefault("properties", {})
                props["metadata"] = {"type": "object"}
                props["apiVersion"] = {"type": "string"}
                props["kind"] = {"type": "string"}
                validator_cls = jsonschema.Draft7Validator
                out[(f"{group}/{version['name']}", kind)] = validator_cls(_strict(schema))
    return out


def validation_errors(objects: Iterable[Mapping[str, Any]], channel: str = "standard") -> list[str]:
    """Every schema violation of ``objects`` as ``Kind ns/name: path: message``; kinds without a schema fail."""
    validators = _validators(channel)
    problems = []
    for obj in objects:
        key = (obj["apiVersion"], obj["kind"])
        meta = obj.get("metadata", {})
        ref = f"{obj['kind']} {meta.get('namespace', '')}/{meta.get('name', '')}"
        name = meta.get("name", "")
        if not name or len(name) > 253:
            problems.append(f"{ref}: bad name")
        if key not in validators:
            if key in (("v1", "Namespace"), ("v1", "ConfigMap")):
                continue
            problems.append(f"{ref}: no schema for {key} in channel {channel}")
            continue
        for error in validators[key].iter_errors(obj):
            path = ".".join(str(p) for p in error.absolute_path)
            problems.append(f"{ref}: {path}: {error.message[:300]}")
    return problems


@pytest.fixture
def schema_errors() -> Callable[..., list[str]]:
    if not SCHEMAS.is_dir():
        pytest.fail(f"schemas missing at {SCHEMAS}")
    return validation_errors
