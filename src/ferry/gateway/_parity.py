# ruff: noqa: E501
"""How each ingress-nginx annotation carries over to each target (pure data + lookups).

Statuses: ``exact`` (same observable behaviour), ``approximate`` (with the concrete difference), ``manual`` (with
the resource to write by hand) or ``none``. The ``envoy-gateway`` and ``standard`` columns describe what
``ferry gateway convert`` itself emits and are checked against the converter by the test suite; the ``istio``,
``traefik``, ``nginx-gateway-fabric`` and ``higress`` columns are curated from those projects' migration guides
and API references (declared, not exercised by ferry's tests).

Each entry also carries an ``example`` value and the annotations it ``requires`` to take effect, used by the
tests and the documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from ferry.gateway._catalogue import ANNOTATIONS, AnnotationSpec
from ferry.gateway._convert._model import Status, Target

__all__ = ["PARITY", "Parity", "ParityEntry", "parity_for"]

_ISTIO, _TRAEFIK, _NGF, _HIGRESS = "istio", "traefik", "nginx-gateway-fabric", "higress"


@dataclass(frozen=True)
class ParityEntry:
    status: Status
    note: str = ""


@dataclass(frozen=True)
class Parity:
    """One annotation across all targets."""

    spec: AnnotationSpec
    targets: MappingProxyType[Target, ParityEntry]
    example: str
    requires: tuple[tuple[str, str], ...] = ()

    def status(self, target: Target) -> Status:
        return self.targets[target].status


def _cell(text: str) -> ParityEntry:
    text = text.strip()
    code, _, note = text.partition(":")
    status = {"E": Status.EXACT, "A": Status.APPROXIMATE, "M": Status.MANUAL, "N": Status.NONE}[code.strip()]
    return ParityEntry(status, note.strip())


# Category defaults for the curated columns: istio | traefik | nginx-gateway-fabric | higress.
_CATEGORY = {
    "routing": ("E", "E:Traefik ingress-nginx provider", "E", "E:Higress reads it on Ingress"),
    "canary": ("E", "A:Traefik weighted services; header/cookie rules by hand", "E", "E:Higress reads it on Ingress"),
    "redirect": (
        "A:HTTPRoute RequestRedirect",
        "E:Traefik ingress-nginx provider",
        "A:HTTPRoute RequestRedirect",
        "E:Higress reads it on Ingress",
    ),
    "tls": (
        "A:Gateway listener TLS settings",
        "A:Traefik TLSOption",
        "A:listener TLS settings",
        "E:Higress reads it on Ingress",
    ),
    "backend-tls": (
        "A:DestinationRule tls / BackendTLSPolicy",
        "A:ServersTransport",
        "A:BackendTLSPolicy",
        "E:Higress reads it on Ingress",
    ),
    "client-tls": ("A:Gateway frontend validation", "A:TLSOption clientAuth", "N", "E:Higress reads it on Ingress"),
    "auth": (
        "M:AuthorizationPolicy CUSTOM with an extensionProvider",
        "M:Traefik Middleware (BasicAuth/ForwardAuth)",
        "M:SnippetsFilter",
        "A:Higress auth plugins",
    ),
    "cors": (
        "A:HTTPRoute CORS filter (Origin required)",
        "E:Traefik ingress-nginx provider",
        "A:HTTPRoute CORS filter",
        "E:Higress reads it on Ingress",
    ),
    "errors": ("M:EnvoyFilter", "M:Traefik Errors middleware", "M:SnippetsFilter", "A:Higress custom response plugin"),
    "headers": (
        "M:VirtualService headers",
        "M:Traefik Headers middleware",
        "M:SnippetsFilter",
        "E:Higress reads it on Ingress",
    ),
    "affinity": (
        "A:DestinationRule consistentHash httpCookie",
        "E:Traefik ingress-nginx provider",
        "M:UpstreamSettingsPolicy / SnippetsFilter",
        "E:Higress reads it on Ingress",
    ),
    "balancing": (
        "A:DestinationRule loadBalancer",
        "A:Traefik service strategy",
        "M:UpstreamSettingsPolicy",
        "E:Higress reads it on Ingress",
    ),
    "ratelimit": (
        "M:EnvoyFilter local_ratelimit",
        "M:Traefik RateLimit middleware (per source, 429)",
        "M:SnippetsFilter limit_req",
        "A:Higress key-rate-limit plugin",
    ),
    "access": (
        "A:AuthorizationPolicy ipBlocks",
        "E:Traefik ingress-nginx provider",
        "M:SnippetsFilter allow/deny",
        "E:Higress reads it on Ingress",
    ),
    "timeouts": (
        "A:HTTPRoute timeouts are totals",
        "A:ServersTransport forwardingTimeouts",
        "M:SnippetsFilter proxy_*_timeout",
        "E:Higress reads it on Ingress",
    ),
    "retries": (
        "A:VirtualService retries",
        "A:Traefik Retry middleware",
        "M:SnippetsFilter proxy_next_upstream",
        "E:Higress reads it on Ingress",
    ),
    "buffering": (
        "M:EnvoyFilter buffer",
        "A:Traefik Buffering middleware",
        "A:ClientSettingsPolicy",
        "A:Higress reads proxy-body-size",
    ),
    "mirror": (
        "A:VirtualService mirror",
        "A:Traefik Mirroring service",
        "A:HTTPRoute RequestMirror",
        "E:Higress reads it on Ingress",
    ),
    "snippets": ("M:EnvoyFilter", "N", "A:SnippetsFilter (nginx directives, reviewed by hand)", "N"),
    "waf": ("M:WasmPlugin (Coraza)", "M:Traefik WAF plugin", "M:NGINX App Protect", "M:Higress WAF plugin"),
    "observability": (
        "M:Telemetry API",
        "M:Traefik tracing/access log options",
        "M:ObservabilityPolicy",
        "M:Higress observability settings",
    ),
    "misc": ("N", "N", "N", "N"),
    "fastcgi": ("N", "N", "M:SnippetsFilter fastcgi_*", "N"),
}

# key | example | requires (k=v;k=v) | envoy-gateway | standard | overrides for curated columns (i=..,t=..,n=..,h=..)
_TABLE = """
use-regex|true||E|A:RegularExpression is implementation-specific (RE2 in Envoy)|
rewrite-target|/$2||E:HTTPRouteFilter ReplaceRegexMatch|A:ReplaceFullPath only; $n captures cannot be expressed|i=M:VirtualService uriRegexRewrite;n=N
app-root|/app||E|E|
x-forwarded-prefix|/api|rewrite-target=/|E|E|
server-alias|alias.example.com||E|E|
default-backend|fallback||M:BackendTrafficPolicy responseOverride or a catch-all rule to that Service|N|i=N;n=N
preserve-trailing-slash|true||E:Envoy keeps the path as requested|E:the path is kept as requested|
use-port-in-redirects|true||N:redirect Locations never carry the port|N:redirect Locations never carry the port|
relative-redirects|true||N:Envoy redirects are absolute|N:Gateway API redirects are absolute|
canary|true||E|E|
canary-by-header|X-Canary||E|E|
canary-by-header-value|yes|canary-by-header=X-Canary|E|E|
canary-by-header-pattern|^canary-.*|canary-by-header=X-Canary|A:RE2 full match of .*(?:pattern).*|A:header RegularExpression (implementation-specific)|
canary-by-cookie|canary||E:HTTPRouteFilter cookie match|A:regex on the Cookie header|i=A:header regex on Cookie
canary-weight|20||E|E|
canary-weight-total|1000|canary-weight=20|E|E|
affinity-canary-behavior|legacy||N:no affinity tie between canary and primary|N:no affinity tie between canary and primary|t=N;n=N
permanent-redirect|https://example.org/new||A:Envoy keeps the query string|A:the query string is kept|
permanent-redirect-code|308|permanent-redirect=https://example.org/new|A:codes outside 301/302/303/307/308 fall back|A:codes outside 301/302/303/307/308 fall back|
temporal-redirect|https://example.org/tmp||A:Envoy keeps the query string|A:the query string is kept|
temporal-redirect-code|307|temporal-redirect=https://example.org/tmp|A:codes outside 301/302/303/307 fall back|A:codes outside 301/302/303/307/308 fall back|
from-to-www-redirect|true||A:trailing-slash handling differs|A:trailing-slash handling differs|
ssl-redirect|true||A:nginx strips a trailing slash in the Location|A:nginx strips a trailing slash in the Location|
force-ssl-redirect|true||A:unconditional redirect on the HTTP listener|A:unconditional redirect on the HTTP listener|
ssl-passthrough|true||E:TLSRoute + Passthrough listener|E:TLSRoute + Passthrough listener|i=E;t=A:TCP router with TLS passthrough;n=E
ssl-ciphers|ECDHE-RSA-AES128-GCM-SHA256||M:ClientTrafficPolicy tls.ciphers on the listener|N|
ssl-prefer-server-ciphers|true||N:no equivalent|N|i=N;t=N;n=N
backend-protocol|HTTPS||A:BackendTLSPolicy verifies (nginx does not unless proxy-ssl-verify); GRPC is exact|A:BackendTLSPolicy verifies|
proxy-ssl-secret|shop/backend-ca|backend-protocol=HTTPS;proxy-ssl-verify=on|A:CA copied to a ConfigMap for BackendTLSPolicy|A:CA copied to a ConfigMap|
proxy-ssl-verify|on|backend-protocol=HTTPS;proxy-ssl-secret=shop/backend-ca|A:BackendTLSPolicy|A:BackendTLSPolicy|
proxy-ssl-verify-depth|2||N:no depth limit in Envoy|N|
proxy-ssl-name|api.internal|backend-protocol=HTTPS;proxy-ssl-verify=on;proxy-ssl-secret=shop/backend-ca|A:BackendTLSPolicy hostname|A:BackendTLSPolicy hostname|
proxy-ssl-server-name|on|backend-protocol=HTTPS;proxy-ssl-verify=on;proxy-ssl-secret=shop/backend-ca|A:BackendTLSPolicy sends SNI|A:BackendTLSPolicy sends SNI|
proxy-ssl-protocols|TLSv1.3||M:Backend tls.minVersion/maxVersion|N|
proxy-ssl-ciphers|HIGH||M:Backend tls.ciphers|N|
auth-tls-secret|shop/client-ca||E:ClientTrafficPolicy clientValidation|M:Gateway spec.tls.frontend validation|
auth-tls-verify-client|optional|auth-tls-secret=shop/client-ca|E:optional_no_ca still verifies given certificates|M:Gateway frontend validation mode|
auth-tls-verify-depth|2||N:no depth limit in Envoy|N|
auth-tls-error-page|https://example.org/cert-error||N:TLS failures end the handshake|N|
auth-tls-pass-certificate-to-upstream|true|auth-tls-secret=shop/client-ca|A:sent as X-Forwarded-Client-Cert|N|
auth-tls-match-cn|CN=client||M:ClientTrafficPolicy clientValidation.subjectAltNames (SAN, not CN)|N|
auth-type|basic|auth-secret=basic-auth|A:only {SHA} htpasswd hashes; realm not shown|N|h=E
auth-secret|basic-auth|auth-type=basic|A:Secret key .htpasswd; {SHA} hashes only|N|
auth-secret-type|auth-map|auth-type=basic;auth-secret=basic-auth|A:one htpasswd layout|N|
auth-realm|Protected|auth-type=basic;auth-secret=basic-auth|A:realm not shown|N|
auth-url|http://auth.platform.svc.cluster.local/verify||A:SecurityPolicy extAuth; subrequest details differ|M:ExternalAuth filter (experimental)|t=E:Traefik ForwardAuth
auth-method|POST|auth-url=http://auth.platform.svc.cluster.local/verify|N:Envoy forwards the client's method|N|
auth-signin|https://auth.example.org/start||M:SecurityPolicy oidc replaces the sign-in flow|N|
auth-signin-redirect-param|rd||N:part of the sign-in flow|N|
auth-response-headers|X-User|auth-url=http://auth.platform.svc.cluster.local/verify|E:extAuth headersToBackend|N|
auth-proxy-set-headers|shop/auth-headers||M:SecurityPolicy extAuth headersToExtAuth|N|
auth-request-redirect|https://example.org||N:no equivalent|N|
auth-cache-key|$remote_user||N:no auth response cache|N|
auth-cache-duration|200 5m||N:no auth response cache|N|
auth-keepalive|10||N:Envoy pools connections itself|N|
auth-keepalive-share-vars|true||N:Envoy pools connections itself|N|
auth-keepalive-requests|100||N:Envoy pools connections itself|N|
auth-keepalive-timeout|30||N:Envoy pools connections itself|N|
auth-always-set-cookie|true||N:no equivalent|N|
auth-snippet|proxy_set_header X-A b;||M:EnvoyExtensionPolicy lua or extProc|N|
enable-global-auth|false||M:a Gateway-targeted SecurityPolicy extAuth|N|
satisfy|any||N:policies combine with AND only|N|
enable-cors|true||A:CORS only with an Origin header|A:CORS filter only with an Origin header|
cors-allow-origin|https://shop.example.com|enable-cors=true|E|E|
cors-allow-methods|GET, POST|enable-cors=true|E|E|
cors-allow-headers|X-Token|enable-cors=true|E|E|
cors-expose-headers|X-Total|enable-cors=true|E|E|
cors-allow-credentials|false|enable-cors=true|E|E|
cors-max-age|600|enable-cors=true|E|E|
custom-http-errors|404,503||A:fixed body instead of the default backend's page|N|
disable-proxy-intercept-errors|true||E:Envoy intercepts nothing unless responseOverride is set|E:nothing is intercepted|
custom-headers|shop/response-headers||M:ResponseHeaderModifier with the ConfigMap's headers|M:ResponseHeaderModifier with the ConfigMap's headers|
upstream-vhost|internal.example.com||E|E|i=E;n=E
connection-proxy-header|keep-alive||N:hop-by-hop header managed by Envoy|N|
proxy-redirect-from|http://backend/||M:EnvoyExtensionPolicy lua rewriting Location|N|
proxy-redirect-to|https://shop.example.com/||M:EnvoyExtensionPolicy lua rewriting Location|N|
proxy-cookie-domain|backend shop.example.com||M:EnvoyExtensionPolicy lua rewriting Set-Cookie|N|
proxy-cookie-path|/ /shop||M:EnvoyExtensionPolicy lua rewriting Set-Cookie|N|
affinity|cookie||A:consistent hash on the cookie|M:sessionPersistence (experimental)|
affinity-mode|persistent|affinity=cookie|A:consistent hash|N|
session-cookie-name|SHOPID|affinity=cookie|A:consistent hash cookie|M:sessionPersistence sessionName|
session-cookie-path|/shop|affinity=cookie|A:cookie attribute|N|
session-cookie-domain|example.com|affinity=cookie|A:cookie attribute|N|
session-cookie-samesite|Lax|affinity=cookie|A:cookie attribute|N|
session-cookie-conditional-samesite-none|true|affinity=cookie|N:no user-agent sniffing|N|
session-cookie-expires|3600|affinity=cookie|A:cookie ttl|M:sessionPersistence absoluteTimeout|
session-cookie-max-age|3600|affinity=cookie|A:cookie ttl|M:sessionPersistence absoluteTimeout|
session-cookie-secure|true|affinity=cookie|A:cookie attribute|N|
session-cookie-change-on-failure|true|affinity=cookie|N:the hash picks the next endpoint anyway|N|
load-balance|ewma||A:ewma → LeastRequest; round_robin exact|N|
upstream-hash-by|$remote_addr||E:$remote_addr, $http_*, $cookie_*, $arg_* only|N|
upstream-hash-by-subset|true||N:no subset hashing|N|
upstream-hash-by-subset-size|3||N:no subset hashing|N|
service-upstream|true||E:routingType Service|N|
limit-connections|10||A:backend connection cap, not per client IP|N|
limit-rps|10||A:global per-IP limit; 429 instead of 503; no burst|N|
limit-rpm|600||A:global per-IP limit; 429 instead of 503; no burst|N|
limit-burst-multiplier|3|limit-rps=10|A:no burst queue|N|
limit-rate-after|1024|limit-rate=100|N:Envoy limits from the first byte|N|
limit-rate|100||A:per route, not per connection|N|
limit-allowlist|10.0.0.0/8|limit-rps=10|A:inverted sourceCIDR selectors|N|
allowlist-source-range|10.0.0.0/8||E:403 for other clients|N|
denylist-source-range|192.0.2.0/24||E:403 for these clients|N|
proxy-connect-timeout|3||E|N|
proxy-send-timeout|120||A:one stream idle timeout for both directions|N:timeouts.request is a total|
proxy-read-timeout|120||A:one stream idle timeout for both directions|N:timeouts.request is a total|
proxy-next-upstream|error timeout http_502||A:Envoy retry triggers|M:retry (experimental)|
proxy-next-upstream-timeout|10||A:per-try timeout|N|
proxy-next-upstream-tries|2||A:numRetries = tries - 1|M:retry attempts (experimental)|
proxy-request-buffering|on||E|N|
proxy-body-size|8m||E:requestBuffer limit, 413 above|N:no body limit in Gateway API|
client-body-buffer-size|16k||E:memory threshold only; nothing observable to carry|E:memory threshold only|
proxy-buffering|on||N:Envoy streams responses|N|
proxy-buffer-size|8k||N:Envoy sizes header buffers itself|N|
proxy-buffers-number|8||N:Envoy streams responses|N|
proxy-busy-buffers-size|16k||N:Envoy streams responses|N|
proxy-max-temp-file-size|0||N:Envoy does not spool to disk|N|
proxy-http-version|1.0||N:HTTP/1.0 upstreams are not available|N|
mirror-target|https://mirror.example.org$request_uri||A:mirrors to the backend's own path|A:Service mirrors only|
mirror-request-body|off|mirror-target=https://mirror.example.org$request_uri|N:the body is always mirrored|N|
mirror-host|mirror.example.org|mirror-target=https://mirror.example.org$request_uri|A:not carried|N|
configuration-snippet|more_set_headers "X-A: b";||M:EnvoyPatchPolicy or EnvoyExtensionPolicy lua|N|
server-snippet|location /x { return 404; }||M:EnvoyPatchPolicy or EnvoyExtensionPolicy lua|N|
stream-snippet|server { listen 9000; }||M:EnvoyPatchPolicy|N|
enable-modsecurity|true||M:EnvoyExtensionPolicy wasm (Coraza)|N|
enable-owasp-core-rules|true||M:EnvoyExtensionPolicy wasm (Coraza CRS)|N|
modsecurity-transaction-id|$request_id||N:no equivalent|N|
modsecurity-snippet|SecRuleEngine On||M:EnvoyExtensionPolicy wasm (Coraza)|N|
enable-access-log|false||M:EnvoyProxy telemetry.accessLog (Gateway-wide)|N|
enable-rewrite-log|true||N:no equivalent|N|
enable-opentelemetry|true||M:EnvoyProxy telemetry.tracing|N|
opentelemetry-trust-incoming-span|false||M:EnvoyProxy telemetry.tracing|N|
opentelemetry-operation-name|shop|| N:span names are Envoy's|N|
http2-push-preload|true||N:browsers dropped HTTP/2 push|N|
fastcgi-index|index.php||N:no FastCGI in Envoy|N|
fastcgi-params-configmap|shop/fcgi||N:no FastCGI in Envoy|N|
"""


def _build() -> MappingProxyType[str, Parity]:
    by_key = {spec.key: spec for spec in ANNOTATIONS}
    out: dict[str, Parity] = {}
    for line in _TABLE.strip().splitlines():
        key, example, requires, eg, std, overrides = (part.strip() for part in line.split("|", 5))
        spec = by_key[key]
        istio, traefik, ngf, higress = _CATEGORY[spec.category]
        for item in filter(None, (o.strip() for o in overrides.split(";"))):
            which, _, cell = item.partition("=")
            if which == "i":
                istio = cell
            elif which == "t":
                traefik = cell
            elif which == "n":
                ngf = cell
            elif which == "h":
                higress = cell
        targets = {
            Target.ENVOY_GATEWAY: _cell(eg),
            Target.ISTIO: _cell(istio),
            Target.TRAEFIK: _cell(traefik),
            Target.NGINX_GATEWAY_FABRIC: _cell(ngf),
            Target.HIGRESS: _cell(higress),
            Target.STANDARD: _cell(std),
        }
        pairs = tuple(
            (k.strip(), v.strip()) for k, _, v in (p.partition("=") for p in requires.split(";") if p.strip())
        )
        out[key] = Parity(spec, MappingProxyType(targets), example, pairs)
    missing = set(by_key) - set(out)
    if missing:
        raise ValueError(f"parity table misses {sorted(missing)}")
    return MappingProxyType(out)


PARITY = _build()
"""Canonical annotation key → :class:`Parity`."""


def parity_for(key: str, target: Target) -> ParityEntry:
    """The parity of a canonical (or alias) key for one target."""
    from ferry.gateway._catalogue import lookup_annotation

    spec = lookup_annotation(key)
    if spec is None:
        return ParityEntry(Status.NONE, "unknown annotation")
    return PARITY[spec.key].targets[target]
