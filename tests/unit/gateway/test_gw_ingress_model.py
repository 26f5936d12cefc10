"""The typed Ingress input model: parsing, typing by the catalogue, class resolution, problems with locations."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ferry._kernel import parse_manifests
from ferry.gateway import (
    ClassSource,
    IngressInputError,
    PathType,
    load_objects,
    parse_ingress,
    read_ingress_input,
)

BASIC = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  creationTimestamp: "2024-01-02T00:00:00Z"
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /$2
    nginx.ingress.kubernetes.io/use-regex: "true"
    nginx.ingress.kubernetes.io/canary-weight: "20"
    nginx.ingress.kubernetes.io/whitelist-source-range: "10.0.0.0/8, 192.168.1.1"
    nginx.ingress.kubernetes.io/proxy-body-size: 8m
    nginx.ingress.kubernetes.io/not-a-real-key: "x"
    other.example.com/owner: team-a
spec:
  ingressClassName: nginx
  tls:
  - hosts: [shop.example.com]
    secretName: shop-tls
  defaultBackend:
    resource:
      apiGroup: k8s.example.com
      kind: StorageBucket
      name: static
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /api(/|$)(.*)
        pathType: ImplementationSpecific
        backend:
          service:
            name: api
            port:
              number: 8080
      - path: /web
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              name: http
  - host: "*.shop.example.com"
    http:
      paths:
      - pathType: Exact
        path: /
        backend:
          service: {name: web, port: {number: 80}}
"""


def _one(text: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return parse_ingress(parse_manifests(text, "in.yaml")[0], **kwargs)  # type: ignore[arg-type]


def test_rules_paths_backends_tls_and_default_backend() -> None:
    ing = _one(BASIC)
    assert (ing.namespace, ing.name, ing.ingress_class, ing.class_source) == ("shop", "web", "nginx", ClassSource.SPEC)
    assert ing.hosts == ("shop.example.com", "*.shop.example.com")
    first, second = ing.rules[0].paths
    assert first.path_type is PathType.IMPLEMENTATION_SPECIFIC and first.path == "/api(/|$)(.*)"
    assert first.backend.service is not None and first.backend.service.port == 8080
    assert second.backend.service is not None and second.backend.service.port_name == "http"
    assert second.field == "spec.rules[0].http.paths[1]"
    assert ing.rules[1].is_wildcard
    assert ing.tls[0].secret_name == "shop-tls" and ing.tls_hosts == {"shop.example.com"}
    assert ing.default_backend is not None and ing.default_backend.resource is not None
    assert ing.default_backend.resource.kind == "StorageBucket"


def test_annotations_are_typed_and_aliases_resolve() -> None:
    problems: list = []
    ing = _one(BASIC, problems=problems)
    assert ing.flag("use-regex") is True
    assert ing.number("canary-weight") == 20
    assert ing.value("proxy-body-size") == 8 * 1024 * 1024
    allow = ing.annotation("allowlist-source-range")
    assert allow is not None and allow.key == "whitelist-source-range" and allow.canonical == "allowlist-source-range"
    assert ing.items("allowlist-source-range") == ("10.0.0.0/8", "192.168.1.1/32")
    unknown = ing.annotations["not-a-real-key"]
    assert not unknown.known and unknown.value is None
    assert any("unknown annotation" in p.message and p.field.endswith("not-a-real-key") for p in problems)
    assert ing.other_annotations == {"other.example.com/owner": "team-a"}


def test_invalid_value_is_kept_and_reported_with_its_line() -> None:
    text = BASIC.replace('canary-weight: "20"', "canary-weight: twenty")
    problems: list = []
    ing = _one(text, problems=problems)
    value = ing.annotation("canary-weight")
    assert value is not None and value.error and value.raw == "twenty" and not value.valid
    assert ing.number("canary-weight") is None
    (problem,) = [p for p in problems if "canary-weight" in (p.field or "")]
    assert problem.line == 10 and problem.document == 0 and problem.obj == "Ingress shop/web"


def test_custom_annotation_prefix() -> None:
    text = BASIC.replace("nginx.ingress.kubernetes.io/", "acme.io/")
    ing = _one(text, annotation_prefix="acme.io")
    assert ing.flag("use-regex") is True
    default = _one(text)
    assert default.annotation("use-regex") is None and "acme.io/use-regex" in default.other_annotations


def test_canonical_key_wins_over_alias() -> None:
    text = BASIC.replace(
        "    other.example.com/owner: team-a\n",
        "    other.example.com/owner: team-a\n    nginx.ingress.kubernetes.io/allowlist-source-range: 1.2.3.4/32\n",
    )
    ing = _one(text)
    assert ing.items("allowlist-source-range") == ("1.2.3.4/32",)
    assert [s.key for s in ing.shadowed] == ["whitelist-source-range"]


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ("pathType: Prefix", "pathType: Regex", "spec.rules[0].http.paths[1].pathType", "not Exact"),
        ("        pathType: Prefix\n", "", "spec.rules[0].http.paths[1].pathType", "required"),
        ("number: 8080", "number: 70000", "spec.rules[0].http.paths[0].backend.service.port.number", "65535"),
        ("- path: /web", "- path: web", "spec.rules[0].http.paths[1].path", "start with"),
        ("host: shop.example.com\n    http", "host: shop..example.com\n    http", "spec.rules[0].host", "valid host"),
        ("secretName: shop-tls", "secretName: Shop_TLS", "spec.tls[0].secretName", "valid name"),
        (
            'use-regex: "true"',
            "use-regex: true",
            "metadata.annotations.nginx.ingress.kubernetes.io/use-regex",
            "strings",
        ),
    ],
)
def test_structural_errors_name_file_document_object_field(old: str, new: str, field: str, words: str) -> None:
    text = "---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n---\n" + BASIC.replace(old, new, 1)
    obj = parse_manifests(text, "bad.yaml")[1]
    with pytest.raises(IngressInputError) as info:
        parse_ingress(obj)
    err = info.value
    assert (err.path, err.document, err.obj, err.field) == ("bad.yaml", 1, "Ingress shop/web", field)
    assert words in err.message
    assert err.line is not None and err.line > 5


def test_v1beta1_is_rejected_with_a_hint() -> None:
    text = BASIC.replace("networking.k8s.io/v1", "networking.k8s.io/v1beta1")
    with pytest.raises(IngressInputError) as info:
        _one(text)
    assert "kubectl convert" in (info.value.hint or "")


def test_backend_needs_exactly_one_target() -> None:
    text = BASIC.replace("          service: {name: web, port: {number: 80}}", "          {}")
    with pytest.raises(IngressInputError, match="exactly one of 'service' and 'resource'"):
        _one(text)


CLASSES = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: traefik}
spec: {controller: traefik.io/ingress-controller}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: a, namespace: ns1}
spec:
  rules:
  - host: a.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: b
  namespace: ns1
  annotations: {kubernetes.io/ingress.class: internal}
spec:
  rules:
  - host: b.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: b, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: c, namespace: ns2}
spec:
  ingressClassName: traefik
  rules:
  - host: c.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: c, port: {number: 80}}}}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
data: {proxy-body-size: 20m, ssl-redirect: "false", http-redirect-code: "301"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: tcp-services, namespace: ingress-nginx}
data: {"5432": "db/postgres:5432", "9000": "shop/queue:amqp:PROXY"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: udp-services, namespace: ingress-nginx}
data: {"53": "kube-system/kube-dns:53"}
"""


def test_class_resolution_default_class_deprecated_annotation_and_other_controllers() -> None:
    data = read_ingress_input(parse_manifests(CLASSES, "c.yaml"))
    by_name = {i.name: i for i in data.ingresses}
    assert by_name["a"].ingress_class == "nginx" and by_name["a"].class_source is ClassSource.DEFAULT
    assert by_name["b"].ingress_class == "internal" and by_name["b"].class_source is ClassSource.ANNOTATION
    assert [i.name for i in data.skipped] == ["c"]
    assert any("deprecated" in p.message for p in data.warnings)
    assert any("traefik.io" in p.message for p in data.warnings)


def test_ingress_class_flag_selects() -> None:
    data = read_ingress_input(parse_manifests(CLASSES, "c.yaml"), ingress_class="internal")
    assert [i.name for i in data.ingresses] == ["b"]
    assert sorted(i.name for i in data.skipped) == ["a", "c"]


def test_controller_configmap_and_stream_services() -> None:
    data = read_ingress_input(parse_manifests(CLASSES, "c.yaml"))
    assert data.config.proxy_body_size == 20 * 1024 * 1024
    assert data.config.ssl_redirect is False and data.config.http_redirect_code == 301
    assert data.config.hsts is True and data.config.proxy_next_upstream_tries == 3
    tcp = [s for s in data.streams if s.protocol == "TCP"]
    assert [(s.port, s.namespace, s.service, s.service_port) for s in tcp] == [
        (5432, "db", "postgres", 5432),
        (9000, "shop", "queue", "amqp"),
    ]
    assert tcp[1].decode_proxy and not tcp[1].encode_proxy
    (udp,) = [s for s in data.streams if s.protocol == "UDP"]
    assert udp.port == 53


def test_defaults_without_configmap() -> None:
    data = read_ingress_input([])
    assert (
        data.config.proxy_body_size == 1024 * 1024
        and data.config.ssl_redirect
        and data.config.http_redirect_code == 308
    )


def test_problems_do_not_stop_the_rest_and_duplicates_are_errors() -> None:
    bad = BASIC.replace("pathType: Prefix", "pathType: Nope")
    text = CLASSES + "---\n" + bad + "---\n" + CLASSES.split("---\n")[2]
    data = read_ingress_input(parse_manifests(text, "m.yaml"))
    assert {i.name for i in data.ingresses} == {"a", "b"}
    errors = data.errors
    assert any(e.obj == "Ingress shop/web" and e.field and e.field.endswith("pathType") for e in errors)
    assert any("duplicate Ingress ns1/a" in e.message for e in errors)


def test_ingress_nginx_processing_order() -> None:
    docs = []
    for name, ts in (("b", "2024-01-01T00:00:00Z"), ("a", "2024-01-01T00:00:00Z"), ("z", "2023-01-01T00:00:00Z")):
        docs.append(
            f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}, namespace: n, "
            f"creationTimestamp: '{ts}'}}\nspec: {{defaultBackend: {{service: {{name: s, port: {{number: 1}}}}}}}}\n"
        )
    data = read_ingress_input(parse_manifests("---\n".join(docs), "o.yaml"))
    assert [i.name for i in data.ingresses] == ["z", "b", "a"]


def test_list_dump_and_stdin(tmp_path: Path) -> None:
    items = "\n".join(
        "  - " + line if i == 0 else "    " + line for doc in [BASIC] for i, line in enumerate(doc.splitlines())
    )
    dump = "apiVersion: v1\nkind: List\nitems:\n" + items + "\n"
    (tmp_path / "dump.yaml").write_text(dump)
    objects, problems = load_objects([str(tmp_path)])
    assert not problems and [o.name for o in objects] == ["web"] and objects[0].source.item == 0
    objects, problems = load_objects(["-"], stdin=io.StringIO(CLASSES))
    assert not problems and len(objects) == 8 and objects[0].source.path == "<stdin>"
    objects, problems = load_objects(["-"], stdin=io.StringIO("a: [\n"))
    assert problems[0].path == "<stdin>" and "invalid YAML" in problems[0].message
    _, problems = load_objects([str(tmp_path / "missing.yaml")])
    assert problems[0].message == "no such file or directory"


def test_every_corpus_ingress_parses(shared: Path) -> None:
    root = shared / "corpus" / "gateway" / "ingress-nginx"
    objects, problems = load_objects([str(root)])
    assert not problems
    data = read_ingress_input(objects)
    assert not data.errors, data.errors
    assert len(data.ingresses) >= 30
    assert all(i.rules or i.default_backend for i in data.ingresses)


def test_classless_ingress_without_default_class_is_warned() -> None:
    text = BASIC.replace("  ingressClassName: nginx\n", "")
    data = read_ingress_input(parse_manifests(text, "n.yaml"))
    assert [i.name for i in data.ingresses] == ["web"] and data.ingresses[0].ingress_class is None
    assert any("no ingress class" in p.message and p.severity == "warning" for p in data.problems)
