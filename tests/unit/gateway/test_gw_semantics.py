"""A test per ingress-nginx semantic rule the converter keeps (or annotates where the target differs)."""

from __future__ import annotations

from typing import Any

import pytest

from ferry._kernel import dump_yaml, parse_manifests
from ferry.gateway import read_ingress_input
from ferry.gateway._convert import (
    DIFFERENCE_ANNOTATION,
    Channel,
    Conversion,
    ConvertOptions,
    Target,
    convert,
    services_from,
)


def ing(
    name: str,
    host: str = "shop.example.com",
    paths: list[tuple[str, str]] | None = None,
    annotations: dict[str, str] | None = None,
    namespace: str = "shop",
    tls: str | None = None,
    service: str = "web",
    port: str = "{number: 80}",
    created: str = "2024-01-01T00:00:00Z",
) -> str:
    paths = paths or [("/", "Prefix")]
    notes = "".join(f"\n    nginx.ingress.kubernetes.io/{k}: '{v}'" for k, v in (annotations or {}).items())
    meta_notes = f"\n  annotations:{notes}" if notes else ""
    tls_block = f"\n  tls:\n  - hosts: ['{host}']\n    secretName: {tls}" if tls else ""
    path_lines = "".join(
        f"\n      - path: '{p}'\n        pathType: {t}\n        backend: {{service: {{name: {service}, port: {port}}}}}"
        for p, t in paths
    )
    host_line = f"host: '{host}'\n    " if host else ""
    return f"""---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {namespace}
  creationTimestamp: '{created}'{meta_notes}
spec:
  ingressClassName: nginx{tls_block}
  rules:
  - {host_line}http:
      paths:{path_lines}
"""


def controller_cm(data: str) -> str:
    return (
        "---\napiVersion: v1\nkind: ConfigMap\n"
        f"metadata: {{name: ingress-nginx-controller, namespace: ingress-nginx}}\ndata: {data}\n"
    )


def run(*docs: str, **options: Any) -> Conversion:
    text = "".join(docs)
    objects = parse_manifests(text, "t.yaml")
    data = read_ingress_input(objects)
    assert not data.errors, data.errors
    return convert(data, ConvertOptions(**options), services=services_from(objects))


def route(conv: Conversion, name: str, namespace: str = "shop", kind: str = "HTTPRoute") -> dict[str, Any]:
    found = conv.find(kind, namespace, name)
    assert found is not None, [o["metadata"]["name"] for o in conv.objects]
    return dict(found)


def paths_of(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (m["path"]["type"], m["path"]["value"])
        for r in obj["spec"]["rules"]
        for m in r.get("matches", [])
        if "path" in m
    ]


def differences(obj: dict[str, Any]) -> str:
    return obj["metadata"].get("annotations", {}).get(DIFFERENCE_ANNOTATION, "")


def test_regex_mode_is_host_wide_case_insensitive_and_anchored() -> None:
    conv = run(
        ing("a", paths=[("/hoSTn", "Exact")]),
        ing("b", paths=[("/cliEnt.+", "ImplementationSpecific")], annotations={"use-regex": "true"}),
    )
    assert paths_of(route(conv, "a-shop-example-com")) == [("RegularExpression", "(?i)/hoSTn.*")]
    assert paths_of(route(conv, "b-shop-example-com")) == [("RegularExpression", "(?i)/cliEnt.+.*")]
    assert any("case-insensitive prefix regex" in d for _, d in conv.differences)


def test_regex_mode_does_not_leak_to_other_hosts_or_from_canaries() -> None:
    conv = run(
        ing("a", paths=[("/x", "Prefix")]),
        ing("other", host="other.example.com", annotations={"use-regex": "true"}),
        ing("c", paths=[("/x", "Prefix")], annotations={"canary": "true", "use-regex": "true"}, service="v2"),
    )
    assert paths_of(route(conv, "a-shop-example-com")) == [("PathPrefix", "/x")]


def test_rewrite_target_different_from_path_forces_regex_mode() -> None:
    conv = run(
        ing("a", paths=[("/api", "Prefix")], annotations={"rewrite-target": "/"}), ing("b", paths=[("/web", "Prefix")])
    )
    assert paths_of(route(conv, "b-shop-example-com")) == [("RegularExpression", "(?i)/web.*")]


def test_dollar_anchor_matches_only_root() -> None:
    conv = run(ing("a", paths=[("/$", "ImplementationSpecific")], annotations={"use-regex": "true"}))
    assert paths_of(route(conv, "a-shop-example-com")) == [("RegularExpression", "(?i)/$.*")]


def test_implementation_specific_is_a_plain_string_prefix() -> None:
    conv = run(ing("a", paths=[("/foo", "ImplementationSpecific"), ("/bar/", "ImplementationSpecific")]))
    assert paths_of(route(conv, "a-shop-example-com")) == [("RegularExpression", "/foo.*"), ("PathPrefix", "/bar")]


def test_prefix_normalisation_and_exact() -> None:
    conv = run(ing("a", paths=[("/foo", "Prefix"), ("/", "Prefix"), ("/e", "Exact"), ("/dir/", "Prefix")]))
    assert paths_of(route(conv, "a-shop-example-com")) == [
        ("PathPrefix", "/foo"),
        ("PathPrefix", "/"),
        ("Exact", "/e"),
        ("PathPrefix", "/dir"),
    ]
    assert any("301" in d for _, d in conv.differences)


def test_wildcard_host_one_label_difference_is_annotated() -> None:
    conv = run(ing("w", host="*.example.com"))
    obj = route(conv, "w-wildcard-example-com")
    assert obj["spec"]["hostnames"] == ["*.example.com"]
    assert "exactly one extra label" in differences(obj)


def test_ssl_redirect_308_on_http_listener_and_trailing_slash_note() -> None:
    conv = run(ing("a", tls="shop-tls"))
    main = route(conv, "a-shop-example-com")
    assert [p["sectionName"] for p in main["spec"]["parentRefs"]] == ["https-shop-example-com"]
    redirect = route(conv, "a-shop-example-com-redirect")
    assert [p["sectionName"] for p in redirect["spec"]["parentRefs"]] == ["http-shop-example-com"]
    flt = redirect["spec"]["rules"][0]["filters"][0]["requestRedirect"]
    assert flt == {"scheme": "https", "statusCode": 308}
    assert "trailing '/'" in differences(redirect)


def test_ssl_redirect_code_from_configmap_and_opt_out() -> None:
    cm = controller_cm("{http-redirect-code: '301'}")
    conv = run(
        cm, ing("a", tls="shop-tls"), ing("b", host="b.example.com", tls="b-tls", annotations={"ssl-redirect": "false"})
    )
    assert (
        route(conv, "a-shop-example-com-redirect")["spec"]["rules"][0]["filters"][0]["requestRedirect"]["statusCode"]
        == 301
    )
    assert conv.find("HTTPRoute", "shop", "b-b-example-com-redirect") is None
    sections = [p["sectionName"] for p in route(conv, "b-b-example-com")["spec"]["parentRefs"]]
    assert sections == ["http-b-example-com", "https-b-example-com"]


def test_no_redirect_without_certificate() -> None:
    conv = run(ing("a"))
    assert conv.find("HTTPRoute", "shop", "a-shop-example-com-redirect") is None


def test_canary_weight_and_total() -> None:
    conv = run(
        ing("main"),
        ing("c", annotations={"canary": "true", "canary-weight": "30", "canary-weight-total": "50"}, service="v2"),
    )
    refs = route(conv, "main-shop-example-com")["spec"]["rules"][0]["backendRefs"]
    assert [(r["name"], r["weight"]) for r in refs] == [("web", 70), ("v2", 30)]  # total honoured only above 100
    conv = run(
        ing("main"),
        ing("c", annotations={"canary": "true", "canary-weight": "5", "canary-weight-total": "1000"}, service="v2"),
    )
    refs = route(conv, "main-shop-example-com")["spec"]["rules"][0]["backendRefs"]
    assert [(r["name"], r["weight"]) for r in refs] == [("web", 995), ("v2", 5)]


def test_canary_header_before_cookie_before_weight() -> None:
    conv = run(
        ing("main"),
        ing(
            "c",
            annotations={"canary": "true", "canary-by-header": "X-C", "canary-by-cookie": "cc", "canary-weight": "10"},
            service="v2",
        ),
    )
    rules = route(conv, "main-shop-example-com")["spec"]["rules"]
    kinds = [
        ("header", r["matches"][0]["headers"][0]["value"])
        if r["matches"][0].get("headers")
        else ("filter", r["filters"][0]["extensionRef"]["name"])
        if r.get("filters")
        else ("weighted", "")
        for r in rules
    ]
    assert kinds[:2] == [("header", "always"), ("header", "never")]
    assert [k[0] for k in kinds[2:4]] == ["filter", "filter"]
    assert kinds[-1] == ("weighted", "")
    cookie = conv.find("HTTPRouteFilter", "shop", kinds[2][1])
    assert cookie is not None and cookie["spec"]["matches"][0]["cookies"][0] == {
        "name": "cc",
        "type": "Exact",
        "value": "always",
    }


def test_canary_header_value_and_standard_cookie_regex() -> None:
    conv = run(
        ing("main"),
        ing(
            "c",
            annotations={
                "canary": "true",
                "canary-by-header": "X-C",
                "canary-by-header-value": "yes",
                "canary-by-cookie": "cc",
            },
            service="v2",
        ),
        target=Target.STANDARD,
    )
    rules = route(conv, "main-shop-example-com")["spec"]["rules"]
    assert rules[0]["matches"][0]["headers"] == [{"type": "Exact", "name": "X-C", "value": "yes"}]
    assert rules[1]["matches"][0]["headers"][0]["name"] == "Cookie"


def test_canary_without_primary_is_dropped_with_a_warning() -> None:
    conv = run(ing("c", annotations={"canary": "true", "canary-weight": "50"}))
    assert not conv.of_kind("HTTPRoute")
    assert any("without a primary" in w for w in conv.warnings)


def test_rewrite_target_captures_become_a_whole_path_regex_rewrite() -> None:
    conv = run(
        ing(
            "r",
            paths=[("/something(/|$)(.*)", "ImplementationSpecific")],
            annotations={"use-regex": "true", "rewrite-target": "/$2"},
        )
    )
    rule = route(conv, "r-shop-example-com")["spec"]["rules"][0]
    name = rule["filters"][0]["extensionRef"]["name"]
    hrf = conv.find("HTTPRouteFilter", "shop", name)
    assert hrf is not None
    assert hrf["spec"]["urlRewrite"]["path"]["replaceRegexMatch"] == {
        "pattern": "(?i)^/something(/|$)(.*).*$",
        "substitution": "/\\2",
    }
    std = run(
        ing(
            "r",
            paths=[("/something(/|$)(.*)", "ImplementationSpecific")],
            annotations={"use-regex": "true", "rewrite-target": "/$2"},
        ),
        target=Target.STANDARD,
    )
    outcome = next(o for o in std.outcomes if o.key == "rewrite-target")
    assert outcome.status.value == "none"


def test_rewrite_target_without_captures_is_replace_full_path_and_absolute_is_302() -> None:
    conv = run(
        ing("r", paths=[("/api", "Prefix")], annotations={"rewrite-target": "/v1/", "x-forwarded-prefix": "/api"})
    )
    filters = route(conv, "r-shop-example-com")["spec"]["rules"][0]["filters"]
    assert {
        "type": "URLRewrite",
        "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/v1/"}},
    } in filters
    assert filters[0]["requestHeaderModifier"]["set"] == [{"name": "X-Forwarded-Prefix", "value": "/api"}]
    conv = run(ing("r", paths=[("/", "Prefix")], annotations={"rewrite-target": "https://bar.example.org/"}))
    redirect = route(conv, "r-shop-example-com")["spec"]["rules"][0]["filters"][0]["requestRedirect"]
    assert redirect["statusCode"] == 302 and redirect["hostname"] == "bar.example.org"


def btp(conv: Conversion, name: str = "a") -> dict[str, Any]:
    found = conv.find("BackendTrafficPolicy", "shop", name)
    assert found is not None
    return dict(found["spec"])


def test_default_body_limit_one_mebibyte_and_overrides() -> None:
    assert btp(run(ing("a")))["requestBuffer"] == {"limit": "1048576"}
    cm = controller_cm("{proxy-body-size: 20m}")
    assert btp(run(cm, ing("a")))["requestBuffer"] == {"limit": str(20 * 1024 * 1024)}
    assert btp(run(ing("a", annotations={"proxy-body-size": "2k"})))["requestBuffer"] == {"limit": "2048"}
    assert "requestBuffer" not in btp(run(ing("a", annotations={"proxy-body-size": "0"})))


def test_default_retries_on_connect_failure_and_timeouts() -> None:
    spec = btp(run(ing("a")))
    assert spec["retry"] == {"numRetries": 2, "retryOn": {"triggers": ["connect-failure", "reset"]}}
    assert spec["timeout"] == {
        "tcp": {"connectTimeout": "5s"},
        "http": {"requestTimeout": "0s", "streamIdleTimeout": "1m"},
    }
    assert "retry" not in btp(run(ing("a", annotations={"proxy-next-upstream": "off"})))


def test_shared_gateway_admits_exactly_the_app_namespaces_and_grants_certificates() -> None:
    conv = run(ing("a", tls="shop-tls"), ing("p", host="pay.example.com", namespace="payments", tls="pay-tls"))
    (gateway,) = conv.of_kind("Gateway")
    assert gateway["metadata"]["namespace"] == "gateway-system" and gateway["spec"]["gatewayClassName"] == "eg"
    listeners = {ln["name"]: ln for ln in gateway["spec"]["listeners"]}
    selector = listeners["https-pay-example-com"]["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]
    assert selector == {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["payments"]}
    assert listeners["https-pay-example-com"]["tls"]["certificateRefs"] == [
        {"group": "", "kind": "Secret", "name": "pay-tls", "namespace": "payments"}
    ]
    grants = {(g["metadata"]["namespace"], g["spec"]["to"][0]["name"]) for g in conv.of_kind("ReferenceGrant")}
    assert grants == {("payments", "pay-tls"), ("shop", "shop-tls")}
    owners = {o.ref: o.owner for o in conv.ownership}
    assert (
        owners["Gateway gateway-system/nginx"] == "platform"
        and owners["HTTPRoute shop/a-shop-example-com"] == "application"
    )


def test_gateway_per_namespace() -> None:
    conv = run(
        ing("a", tls="shop-tls"), ing("p", host="pay.example.com", namespace="payments"), gateway_per_namespace=True
    )
    gateways = {(g["metadata"]["namespace"], g["metadata"]["name"]) for g in conv.of_kind("Gateway")}
    assert gateways == {("shop", "nginx"), ("payments", "nginx")}
    assert not conv.of_kind("ReferenceGrant")
    listener = conv.find("Gateway", "shop", "nginx")["spec"]["listeners"][0]  # type: ignore[index]
    assert listener["allowedRoutes"]["namespaces"] == {"from": "Same"}


def test_listeners_spread_over_gateways_beyond_the_limit() -> None:
    docs = [ing(f"a{i}", host=f"h{i:02d}.example.com") for i in range(70)]
    conv = run(*docs)
    gateways = conv.of_kind("Gateway")
    assert [g["metadata"]["name"] for g in gateways] == ["nginx", "nginx-2"]
    assert sum(len(g["spec"]["listeners"]) for g in gateways) == 70
    assert all(len(g["spec"]["listeners"]) <= 64 for g in gateways)
    late = route(conv, "a69-h69-example-com")
    assert late["spec"]["parentRefs"][0]["name"] == "nginx-2"


def test_many_paths_split_into_routes_of_sixteen_rules() -> None:
    conv = run(ing("a", paths=[(f"/p{i}", "Prefix") for i in range(20)]))
    assert len(route(conv, "a-shop-example-com")["spec"]["rules"]) == 16
    assert len(route(conv, "a-shop-example-com-2")["spec"]["rules"]) == 4


def test_tcp_udp_services() -> None:
    cms = (
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: tcp-services, namespace: ingress-nginx}\n"
        "data: {'5432': 'db/postgres:5432'}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: udp-services, namespace: ingress-nginx}\n"
        "data: {'53': 'kube-system/dns:53'}\n"
    )
    conv = run(cms, ing("a"))
    listeners = {ln["name"]: ln for ln in conv.of_kind("Gateway")[0]["spec"]["listeners"]}
    assert listeners["tcp-5432"]["protocol"] == "TCP" and listeners["udp-53"]["protocol"] == "UDP"
    tcp = route(conv, "postgres-tcp-5432", "db", "TCPRoute")
    assert tcp["spec"]["rules"][0]["backendRefs"][0]["port"] == 5432
    route(conv, "dns-udp-53", "kube-system", "UDPRoute")


def test_ssl_passthrough_tlsroute() -> None:
    conv = run(ing("t", annotations={"ssl-passthrough": "true"}, port="{number: 443}"))
    tls = route(conv, "t-shop-example-com-tls", kind="TLSRoute")
    assert tls["spec"]["parentRefs"][0]["sectionName"] == "tls-shop-example-com"
    listener = next(ln for ln in conv.of_kind("Gateway")[0]["spec"]["listeners"] if ln["protocol"] == "TLS")
    assert listener["tls"] == {"mode": "Passthrough"} and listener["port"] == 443


def test_grpc_backend_protocol_makes_grpcroute() -> None:
    conv = run(ing("g", paths=[("/helloworld.Greeter/SayHello", "Prefix")], annotations={"backend-protocol": "GRPC"}))
    grpc = route(conv, "g-shop-example-com", kind="GRPCRoute")
    assert grpc["spec"]["rules"][0]["matches"] == [
        {"method": {"type": "Exact", "service": "helloworld.Greeter", "method": "SayHello"}}
    ]


def test_grpc_host_with_a_certificate_redirects_plain_http_like_nginx() -> None:
    annotations = {"backend-protocol": "GRPC"}
    conv = run(ing("g", paths=[("/helloworld.Greeter", "Prefix")], annotations=annotations, tls="g-cert"))
    grpc = route(conv, "g-shop-example-com", kind="GRPCRoute")
    assert {p["sectionName"] for p in grpc["spec"]["parentRefs"]} == {"https-shop-example-com"}
    redirect = route(conv, "g-shop-example-com-redirect")
    assert redirect["spec"]["hostnames"] == ["shop.example.com"]
    assert redirect["spec"]["rules"][0]["filters"][0]["requestRedirect"] == {"scheme": "https", "statusCode": 308}
    assert {p["sectionName"] for p in redirect["spec"]["parentRefs"]} == {"http-shop-example-com"}
    off = run(ing("g", annotations={**annotations, "ssl-redirect": "false"}, tls="g-cert"))
    assert off.find("HTTPRoute", "shop", "g-shop-example-com-redirect") is None


def test_https_backend_gets_backend_tls_policy_with_difference() -> None:
    conv = run(ing("h", annotations={"backend-protocol": "HTTPS"}))
    policy = conv.find("BackendTLSPolicy", "shop", "web-tls")
    assert policy is not None and policy["spec"]["validation"]["wellKnownCACertificates"] == "System"
    assert "does not verify" in differences(dict(policy))


def test_app_root_and_redirects() -> None:
    conv = run(ing("a", annotations={"app-root": "/app"}))
    first = route(conv, "a-shop-example-com")["spec"]["rules"][0]
    assert first["matches"] == [{"path": {"type": "Exact", "value": "/"}}]
    assert first["filters"][0]["requestRedirect"] == {
        "path": {"type": "ReplaceFullPath", "replaceFullPath": "/app"},
        "statusCode": 302,
    }
    conv = run(
        ing(
            "a",
            annotations={
                "permanent-redirect": "https://new.example.org/x",
                "temporal-redirect": "https://tmp.example.org/",
            },
        )
    )
    rule = route(conv, "a-shop-example-com")["spec"]["rules"][0]
    assert rule["filters"][0]["requestRedirect"]["hostname"] == "tmp.example.org" and "backendRefs" not in rule


def test_default_backend_catch_all() -> None:
    doc = """---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: fallback, namespace: shop}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: errors, port: {number: 80}}}
"""
    conv = run(doc)
    obj = route(conv, "fallback-default-backend")
    assert "hostnames" not in obj["spec"] and obj["spec"]["parentRefs"][0]["sectionName"] == "http"


def test_security_policy_cors_basic_ext_auth_and_ip_lists() -> None:
    conv = run(
        ing(
            "a",
            annotations={
                "enable-cors": "true",
                "cors-allow-origin": "https://a.example.com",
                "auth-type": "basic",
                "auth-secret": "basic-auth",
                "auth-url": "http://auth.platform.svc.cluster.local:8080/verify",
                "auth-response-headers": "X-User",
                "whitelist-source-range": "10.0.0.0/8",
                "denylist-source-range": "10.1.0.0/16",
            },
        )
    )
    sp = conv.find("SecurityPolicy", "shop", "a")
    assert sp is not None
    spec = sp["spec"]
    assert spec["cors"]["allowOrigins"] == ["https://a.example.com"] and spec["cors"]["maxAge"] == "480h"
    assert spec["basicAuth"]["users"] == {"group": "", "kind": "Secret", "name": "basic-auth"}
    assert spec["extAuth"]["http"] == {
        "backendRefs": [{"group": "", "kind": "Service", "name": "auth", "port": 8080, "namespace": "platform"}],
        "path": "/verify",
        "headersToBackend": ["X-User"],
    }
    assert spec["authorization"]["defaultAction"] == "Deny"
    assert [r["action"] for r in spec["authorization"]["rules"]] == ["Deny", "Allow"]
    grant = conv.find("ReferenceGrant", "platform", "shop-securitypolicy-refs")
    assert grant is not None and grant["spec"]["to"] == [{"group": "", "kind": "Service", "name": "auth"}]


def test_client_certificates_and_hsts_client_traffic_policies() -> None:
    conv = run(
        ing(
            "a",
            tls="shop-tls",
            annotations={"auth-tls-secret": "shop/client-ca", "auth-tls-pass-certificate-to-upstream": "true"},
        ),
        ing("b", host="b.example.com", tls="b-tls"),
    )
    ctps = {c["metadata"]["name"]: c["spec"] for c in conv.of_kind("ClientTrafficPolicy")}
    hsts = ctps["nginx-https"]
    assert [r["sectionName"] for r in hsts["targetRefs"]] == ["https-b-example-com"]
    assert hsts["headers"]["lateResponseHeaders"]["set"][0]["value"] == "max-age=31536000; includeSubDomains"
    mtls = ctps["nginx-https-shop-example-com"]
    assert mtls["tls"]["clientValidation"]["caCertificateRefs"] == [
        {"group": "", "kind": "Secret", "name": "client-ca", "namespace": "shop"}
    ]
    assert mtls["headers"]["xForwardedClientCert"]["mode"] == "SanitizeSet"


def test_named_ports_resolve_through_services() -> None:
    svc = "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
    svc += "spec: {ports: [{name: http, port: 8080}]}\n"
    conv = run(svc, ing("a", port="{name: http}"))
    assert route(conv, "a-shop-example-com")["spec"]["rules"][0]["backendRefs"][0]["port"] == 8080
    conv = run(ing("a", port="{name: http}"))
    assert any("cannot be resolved" in w for w in conv.warnings)


def test_secrets_are_never_printed() -> None:
    secret = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: shop-tls, namespace: shop}\n"
    secret += "data: {tls.key: U0VDUkVULUtFWQ==}\n"
    conv = run(secret, ing("a", tls="shop-tls", annotations={"auth-type": "basic", "auth-secret": "shop-tls"}))
    text = dump_yaml([dict(o) for o in conv.objects], documents=True)
    assert "U0VDUkVULUtFWQ" not in text and "shop-tls" in text


@pytest.mark.parametrize("target", [Target.ENVOY_GATEWAY, Target.STANDARD])
def test_standard_target_emits_cors_filter_and_no_envoy_objects(target: Target) -> None:
    conv = run(ing("a", annotations={"enable-cors": "true", "limit-rps": "5"}), target=target)
    filters = route(conv, "a-shop-example-com")["spec"]["rules"][0].get("filters", [])
    has_filter = any(f["type"] == "CORS" for f in filters)
    assert has_filter is (target is Target.STANDARD)
    envoy = [o for o in conv.objects if o["apiVersion"].startswith("gateway.envoyproxy.io")]
    assert bool(envoy) is (target is Target.ENVOY_GATEWAY)


def test_experimental_channel_session_persistence_and_retry_for_standard(schema_errors) -> None:  # type: ignore[no-untyped-def]
    annotations = {
        "affinity": "cookie",
        "session-cookie-name": "S",
        "session-cookie-max-age": "3600",
        "proxy-next-upstream": "error http_502",
        "proxy-next-upstream-tries": "3",
    }
    conv = run(ing("a", annotations=annotations), target=Target.STANDARD, channel=Channel.EXPERIMENTAL)
    rule = route(conv, "a-shop-example-com")["spec"]["rules"][0]
    assert rule["sessionPersistence"] == {
        "type": "Cookie",
        "cookie": {"name": "S", "lifetimeType": "Permanent"},
        "absoluteTimeout": "1h",
    }
    assert rule["retry"] == {"attempts": 2, "codes": [502]}
    assert schema_errors(conv.objects, "experimental") == []
    plain = run(ing("a", annotations=annotations), target=Target.STANDARD)
    assert "sessionPersistence" not in route(plain, "a-shop-example-com")["spec"]["rules"][0]
    assert next(o for o in plain.outcomes if o.key == "affinity").status.value == "manual"


def test_canary_backend_is_the_one_for_the_same_path() -> None:
    canary = ing("c", paths=[("/a", "Prefix"), ("/b", "Prefix")], annotations={"canary": "true", "canary-weight": "50"})
    canary = canary.replace("name: web, port", "name: a-v2, port", 1)  # only the /a path of the canary changes
    conv = run(ing("main", paths=[("/a", "Prefix"), ("/b", "Prefix")]), canary)
    rules = route(conv, "main-shop-example-com")["spec"]["rules"]
    by_path = {r["matches"][0]["path"]["value"]: [b["name"] for b in r["backendRefs"]] for r in rules}
    assert by_path == {"/a": ["web", "a-v2"], "/b": ["web", "web"]}


def test_string_prefix_regex_ranked_above_longer_prefix_is_noted() -> None:
    conv = run(ing("a", paths=[("/api", "ImplementationSpecific"), ("/api/v2", "Prefix")]))
    assert "ranked above the longer Prefix '/api/v2'" in differences(route(conv, "a-shop-example-com"))
