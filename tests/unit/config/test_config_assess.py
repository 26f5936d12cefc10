"""The config section of ``ferry assess``."""

from __future__ import annotations

from pathlib import Path

import yaml

from ferry._kernel import Estate, Severity, load_estate, parse_manifests
from ferry.assess import discover
from ferry.config._assess import assess
from ferry.testing import run_cli

REPO = Path(__file__).resolve().parents[3]
ESTATE = REPO / "examples" / "estate"
# The config examples only: other systems add workloads of their own to the estate.
CONFIG_FILES = [*sorted((ESTATE / "k8s").glob("config-*.yaml")), ESTATE / "k8s" / "namespaces.yaml"]


def _line(path: Path, needle: str, after: str = "") -> int:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


def test_the_example_estate_findings_with_lines() -> None:
    section = assess(load_estate(CONFIG_FILES))
    by = {(f.code, f.obj): f for f in section.findings}
    env = by[("config.configmap-env", "Deployment shop/storefront")]
    assert env.severity is Severity.WARNING
    assert env.details["keys"] == ["LOG_LEVEL", "FEATURE_FLAGS"]
    shop = ESTATE / "k8s" / "config-shop.yaml"
    assert env.source is not None and env.source.path.endswith("config-shop.yaml")
    assert env.source.line == _line(shop, "- name: LOG_LEVEL")
    subpath = by[("config.configmap-subpath", "Deployment shop/storefront")]
    assert subpath.source is not None and subpath.source.line == _line(shop, "- name: settings", "volumeMounts")
    assert "/etc/storefront/app.yaml" in subpath.message
    secret = by[("config.secret-env", "Deployment shop/storefront")]
    assert secret.severity is Severity.ERROR and "key password" in secret.message
    assert by[("config.secret-env", "CronJob platform/etcd-backup")].details["keys"] == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ]
    assert by[("config.secret-subpath", "Deployment payments/payment-gateway")].details["keys"] == [
        "tls.crt",
        "tls.key",
    ]
    ledger = by[("config.configmap-envfrom", "StatefulSet payments/ledger")]
    assert ledger.severity is Severity.INFO and "checksum/" in ledger.message  # rolled on change: a restart, on purpose
    missing = by[("config.missing-reference", "Deployment payments/payment-gateway")]
    assert "gateway-settings" in missing.message and missing.severity is Severity.ERROR
    assert ("config.immutable-volume", "Deployment payments/payment-gateway") in by
    assert not any(f.obj == "Deployment shop/cart" for f in section.findings)  # mounted as directories: fine
    assert section.metrics["workloads"] == 6 and section.metrics["never_reload"] == 4
    assert section.summary.startswith("4 of 6 workloads")


def test_the_patch_artifact_mounts_directories_and_drops_env_and_subpath() -> None:
    section = assess(load_estate(CONFIG_FILES))
    (artifact,) = section.artifacts
    loaded = [d for d in yaml.safe_load_all(artifact.content) if d]
    docs = {d["spec"]["template"]["spec"]["containers"][0]["name"]: d for d in loaded if "template" in d["spec"]}
    web = docs["web"]["spec"]["template"]["spec"]
    assert {v["name"]: v for v in web["volumes"]}["storefront-db-secret"]["secret"]["defaultMode"] == 0o400
    container = web["containers"][0]
    assert {"mountPath": "/etc/storefront/app.yaml", "$patch": "delete"} in container["volumeMounts"]
    assert {"name": "storefront-config-config", "mountPath": "/etc/config/storefront-config", "readOnly": True} in (
        container["volumeMounts"]
    )
    assert sorted(e["name"] for e in container["env"]) == ["DB_PASSWORD", "FEATURE_FLAGS", "LOG_LEVEL"]
    assert docs["ledger"]["spec"]["template"]["spec"]["containers"][0]["envFrom"] is None
    assert "kubectl -n shop patch deployment storefront --type strategic" in artifact.content
    backup = next(d for d in yaml.safe_load_all(artifact.content) if d and "jobTemplate" in d["spec"])
    assert backup["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["name"] == "backup"


POD_KINDS = """
apiVersion: v1
kind: Pod
metadata:
  name: owned
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: u, controller: true}]
spec:
  containers:
  - name: c
    envFrom: [{configMapRef: {name: anything}}]
---
apiVersion: v1
kind: Pod
metadata: {name: standalone, namespace: shop}
spec:
  initContainers:
  - name: init
    env:
    - name: TOKEN
      valueFrom: {secretKeyRef: {name: api, key: token, optional: true}}
  containers:
  - name: main
    volumeMounts:
    - {name: proj, mountPath: /etc/app/settings.yaml, subPath: settings.yaml}
  volumes:
  - name: proj
    projected:
      sources:
      - configMap: {name: settings}
      - secret: {name: api}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: odd, namespace: shop}
spec:
  template:
    spec:
      containers: [null, {name: x, env: "not a list", envFrom: [{}], volumeMounts: [{name: missing-volume}]}]
      volumes: [{name: 3}]
"""


def test_pods_projected_volumes_init_containers_owned_objects_and_odd_bodies() -> None:
    section = assess(Estate.from_objects(parse_manifests(POD_KINDS, "pods.yaml")))
    got = sorted((f.code, f.obj) for f in section.findings)
    assert got == [
        ("config.configmap-subpath", "Pod shop/standalone"),
        ("config.secret-env", "Pod shop/standalone"),
        ("config.secret-subpath", "Pod shop/standalone"),
    ]
    assert "a Pod's spec is immutable" in section.artifacts[0].content
    (patch,) = [d for d in yaml.safe_load_all(section.artifacts[0].content) if d]
    assert [c["name"] for c in patch["spec"]["initContainers"]] == ["init"]  # patched where it lives
    assert [c["name"] for c in patch["spec"]["containers"]] == ["main"]
    assert section.metrics["workloads"] == 2  # the owned Pod is its ReplicaSet's business


def test_missing_references_only_where_the_estate_knows_the_namespace() -> None:
    text = """
apiVersion: v1
kind: ConfigMap
metadata: {name: present, namespace: a}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: a}
spec:
  template:
    spec:
      containers:
      - name: c
        envFrom: [{configMapRef: {name: absent}}, {configMapRef: {name: also-absent, optional: true}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: b}
spec:
  template:
    spec:
      containers:
      - name: c
        envFrom: [{configMapRef: {name: absent}}]
"""
    section = assess(Estate.from_objects(parse_manifests(text, "x.yaml")))
    missing = [f for f in section.findings if f.code == "config.missing-reference"]
    assert [(f.obj, f.details["name"]) for f in missing] == [("Deployment a/d", "absent")]


def test_registered_as_an_assessor_and_reported_by_ferry_assess() -> None:
    assert "config" in [e.system for e in discover()]
    result = run_cli(["assess", str(ESTATE), "--system", "config", "--format", "json"])
    assert result.exit_code == 1  # error findings and the default --fail-on error
    (section,) = result.json()["sections"]
    assert section["system"] == "config" and section["artifacts"][0]["name"] == "config-reload-patches.yaml"
    assert run_cli(["assess", str(ESTATE), "--system", "config", "--fail-on", "never"]).exit_code == 0


def test_an_empty_estate() -> None:
    section = assess(Estate.from_objects([]))
    assert section.summary == "No workloads in the estate." and not section.findings and not section.artifacts
