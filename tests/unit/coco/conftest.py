"""Fixtures for ferry.coco: profiles, pods, AdmissionReviews, certificates, Kyverno CRD schemas."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ferry.coco import CocoProfile, initdata_for_pod, load_profile

EXAMPLE_PROFILE = Path(__file__).resolve().parents[3] / "examples" / "coco" / "profile.yaml"
INITDATA_KEY = "io.katacontainers.config.hypervisor.cc_init_data"


@pytest.fixture(scope="session")
def profile() -> CocoProfile:
    return load_profile(EXAMPLE_PROFILE)


@pytest.fixture(scope="session")
def dev_profile(profile: CocoProfile) -> CocoProfile:
    return profile.with_environment("development")


def _base_pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "app", "namespace": "confidential", "labels": {"app": "app"}},
        "spec": {
            "containers": [
                {"name": "app", "image": "registry.example/app@sha256:" + "a" * 64, "command": ["/app"]},
            ]
        },
    }


@pytest.fixture
def bare_pod() -> dict[str, Any]:
    """A pod with nothing CoCo about it."""
    return _base_pod()


@pytest.fixture
def good_pod(profile: CocoProfile) -> dict[str, Any]:
    """A confidential pod configured right: CoCo class and initdata built by ferry for it."""
    pod = _base_pod()
    pod["spec"]["runtimeClassName"] = "kata-qemu-snp"
    value, _ = initdata_for_pod(pod, profile)
    pod["metadata"]["annotations"] = {INITDATA_KEY: value}
    return pod


def make_review(
    obj: Any,
    *,
    operation: str = "CREATE",
    old: Any = None,
    uid: str = "7c1b2e8e-0000-4000-8000-000000000001",
    dry_run: bool = False,
    kind: str = "Pod",
    resource: str = "pods",
    sub_resource: str | None = None,
) -> bytes:
    request: dict[str, Any] = {
        "uid": uid,
        "kind": {"group": "", "version": "v1", "kind": kind},
        "resource": {"group": "", "version": "v1", "resource": resource},
        "namespace": "confidential",
        "operation": operation,
        "userInfo": {"username": "alice"},
        "object": obj,
        "dryRun": dry_run,
    }
    if old is not None:
        request["oldObject"] = old
    if sub_resource:
        request["subResource"] = sub_resource
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}).encode()


@pytest.fixture
def review() -> Callable[..., bytes]:
    return make_review


@pytest.fixture
def clone() -> Callable[[Any], Any]:
    return copy.deepcopy


def _strict(schema: Any) -> Any:
    """Close every object schema that lists properties (CRDs leave them open), so unknown fields fail."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if (
            out.get("type") == "object"
            and "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@pytest.fixture(scope="session")
def kyverno_schema() -> Callable[[str, str], Any]:
    shared = Path(__file__).resolve().parents[3].parent / "shared" / "schemas" / "kyverno"
    if not shared.is_dir():
        pytest.fail(f"Kyverno CRD schemas missing at {shared}")
    cache: dict[tuple[str, str], Any] = {}  # validators: building one checks the (large) schema once

    def get(file: str, version: str) -> Any:
        if (file, version) not in cache:
            crd = yaml.load((shared / file).read_text(), Loader=yaml.CSafeLoader)
            found = next(v for v in crd["spec"]["versions"] if v["name"] == version)
            schema = _strict(found["schema"]["openAPIV3Schema"])
            schema["properties"]["metadata"] = {"type": "object"}
            cache[(file, version)] = jsonschema.Draft7Validator(schema)
        return cache[(file, version)]

    return get
