"""The ingress-nginx annotation catalogue: every registered key, its aliases, value type and default (pure).

Each :class:`AnnotationSpec` says what an annotation means to ingress-nginx and how its value is typed. How each
gateway target carries it over lives in :mod:`ferry.gateway._parity`; the Ingress model (:mod:`ferry.gateway._ingress`)
uses the types here to parse values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "ALIASES",
    "ANNOTATIONS",
    "CATALOGUE",
    "DEFAULT_ANNOTATION_PREFIX",
    "AnnotationSpec",
    "Risk",
    "ValueKind",
    "lookup_annotation",
]

DEFAULT_ANNOTATION_PREFIX = "nginx.ingress.kubernetes.io"
"""ingress-nginx's ``--annotations-prefix`` default."""


class ValueKind(StrEnum):
    """How an annotation value is typed."""

    BOOL = "bool"  # "true"/"false" (ingress-nginx parses with strconv.ParseBool)
    INT = "int"  # decimal integer
    SECONDS = "seconds"  # integer seconds (nginx timeouts as annotations)
    DURATION = "duration"  # nginx time like 10s, 5m, 1h (or bare seconds)
    SIZE = "size"  # nginx size: 8k, 1m, 2g, 1024 (0 = unlimited)
    STRING = "string"
    CSV = "csv"  # comma-separated list
    CIDRS = "cidrs"  # comma-separated IP/CIDR list
    URL = "url"
    ENUM = "enum"  # one of ``choices`` (case-insensitive)
    SNIPPET = "snippet"  # raw nginx configuration
    NAMESPACED_NAME = "namespaced-name"  # name or namespace/name
    STATUS_CODES = "status-codes"  # comma-separated HTTP status codes


class Risk(StrEnum):
    """ingress-nginx's annotation risk level (``annotations-risk-level`` admits up to High by default)."""

    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"
    CRITICAL = "Critical"


@dataclass(frozen=True)
class AnnotationSpec:
    """One ingress-nginx annotation key (without prefix).

    Attributes:
        key: canonical key, e.g. ``rewrite-target``.
        category: the group it belongs to (routing, canary, tls, auth, cors, ratelimit, timeouts, redirect, ...).
        kind: how the value is typed.
        default: ingress-nginx's default as written in its docs ("" when none).
        meaning: what it does in ingress-nginx, in one sentence.
        aliases: other keys that mean the same (``whitelist-source-range`` for ``allowlist-source-range``).
        choices: allowed values for ENUM kinds (lower case).
        risk: ingress-nginx's risk level.
        scope: ``ingress`` (per location/server), ``location`` or ``server`` as registered.
    """

    key: str
    category: str
    kind: ValueKind
    default: str
    meaning: str
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    risk: Risk = Risk.LOW
    scope: str = "location"

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *self.aliases)


def _a(
    key: str,
    category: str,
    kind: ValueKind,
    default: str,
    meaning: str,
    *,
    aliases: tuple[str, ...] = (),
    choices: tuple[str, ...] = (),
    risk: Risk = Risk.LOW,
    scope: str = "location",
) -> AnnotationSpec:
    return AnnotationSpec(key, category, kind, default, meaning, aliases, choices, risk, scope)


B, IN, S, D, Z, T, C, N, U, E, P, NN, SC = (
    ValueKind.BOOL,
    ValueKind.INT,
    ValueKind.SECONDS,
    ValueKind.DURATION,
    ValueKind.SIZE,
    ValueKind.STRING,
    ValueKind.CSV,
    ValueKind.CIDRS,
    ValueKind.URL,
    ValueKind.ENUM,
    ValueKind.SNIPPET,
    ValueKind.NAMESPACED_NAME,
    ValueKind.STATUS_CODES,
)
_H, _M, _CR = Risk.HIGH, Risk.MEDIUM, Risk.CRITICAL

ANNOTATIONS: tuple[AnnotationSpec, ...] = (
    # routing / rewrite / regex
    _a("use-regex", "routing", B, "false", "Paths are case-insensitive regexes (~*) for every path of the host."),
    _a("rewrite-target", "routing", T, "", "Replace the whole request URI (with $1..$n captures) before proxying."),
    _a("app-root", "routing", T, "", "Redirect requests for / to this path with 302."),
    _a("x-forwarded-prefix", "routing", T, "", "Send X-Forwarded-Prefix with this value when the path is rewritten."),
    _a("server-alias", "routing", C, "", "Extra server names served like the Ingress hosts.", scope="server"),
    _a("default-backend", "routing", T, "", "Service that answers when the backend has no endpoints or errors."),
    _a("preserve-trailing-slash", "redirect", B, "false", "Keep the trailing / in ssl-redirect Locations."),
    _a("use-port-in-redirects", "redirect", B, "false", "Add the port to redirect Locations."),
    _a("relative-redirects", "redirect", B, "false", "Send relative Location headers in nginx redirects."),
    # canary
    _a("canary", "canary", B, "false", "This Ingress is the canary of the Ingress with the same host and path."),
    _a("canary-by-header", "canary", T, "", "Request header: always routes to canary, never to primary."),
    _a("canary-by-header-value", "canary", T, "", "Header value that routes to the canary (exact match)."),
    _a("canary-by-header-pattern", "canary", T, "", "PCRE the header must match to route to the canary."),
    _a("canary-by-cookie", "canary", T, "", "Cookie: always routes to canary, never to primary."),
    _a("canary-weight", "canary", IN, "0", "Share of requests for the canary, out of canary-weight-total."),
    _a("canary-weight-total", "canary", IN, "100", "Total the canary weight is measured against."),
    _a(
        "affinity-canary-behavior",
        "canary",
        E,
        "sticky",
        "Whether affinity keeps a client on the canary.",
        choices=("sticky", "legacy"),
    ),
    # redirects
    _a("permanent-redirect", "redirect", U, "", "Answer every request with a redirect to this URL (301)."),
    _a("permanent-redirect-code", "redirect", IN, "301", "Status code of permanent-redirect."),
    _a("temporal-redirect", "redirect", U, "", "Answer every request with a redirect to this URL (302)."),
    _a("temporal-redirect-code", "redirect", IN, "302", "Status code of temporal-redirect."),
    _a("from-to-www-redirect", "redirect", B, "false", "Redirect between host and www.host.", scope="server"),
    _a("ssl-redirect", "redirect", B, "true", "Redirect HTTP to HTTPS (308) when the host has a certificate."),
    _a("force-ssl-redirect", "redirect", B, "false", "Redirect HTTP to HTTPS even without a certificate."),
    # tls / backend protocol / passthrough
    _a("ssl-passthrough", "tls", B, "false", "Proxy TLS by SNI without terminating it.", scope="ingress"),
    _a("ssl-ciphers", "tls", T, "", "Cipher list for the server.", scope="server"),
    _a("ssl-prefer-server-ciphers", "tls", B, "false", "Prefer server ciphers.", scope="server"),
    _a(
        "backend-protocol",
        "tls",
        E,
        "HTTP",
        "Protocol to the backend.",
        choices=("http", "https", "grpc", "grpcs", "auto_http", "fcgi"),
    ),
    _a("proxy-ssl-secret", "backend-tls", NN, "", "Secret with CA (and client cert) for HTTPS backends.", risk=_M),
    _a("proxy-ssl-verify", "backend-tls", E, "off", "Verify the backend certificate.", choices=("on", "off")),
    _a("proxy-ssl-verify-depth", "backend-tls", IN, "1", "Backend certificate chain depth."),
    _a("proxy-ssl-name", "backend-tls", T, "", "Name the backend certificate is verified against (and SNI)."),
    _a("proxy-ssl-server-name", "backend-tls", E, "off", "Send SNI to the backend.", choices=("on", "off")),
    _a("proxy-ssl-protocols", "backend-tls", T, "TLSv1.2 TLSv1.3", "TLS versions to the backend."),
    _a("proxy-ssl-ciphers", "backend-tls", T, "DEFAULT", "Ciphers to the backend."),
    _a("auth-tls-secret", "client-tls", NN, "", "Secret with the CA that client certificates must chain to.", risk=_M),
    _a(
        "auth-tls-verify-client",
        "client-tls",
        E,
        "on",
        "Client certificate verification mode.",
        choices=("on", "off", "optional", "optional_no_ca"),
    ),
    _a("auth-tls-verify-depth", "client-tls", IN, "1", "Client certificate chain depth."),
    _a("auth-tls-error-page", "client-tls", U, "", "Where to redirect clients whose certificate fails."),
    _a("auth-tls-pass-certificate-to-upstream", "client-tls", B, "false", "Send the client certificate upstream."),
    _a("auth-tls-match-cn", "client-tls", T, "", "Regex the client certificate CN must match."),
    # authentication
    _a("auth-type", "auth", E, "", "Authentication type.", choices=("basic", "digest")),
    _a("auth-secret", "auth", NN, "", "Secret with the htpasswd users.", risk=_M),
    _a("auth-secret-type", "auth", E, "auth-file", "Secret layout.", choices=("auth-file", "auth-map")),
    _a("auth-realm", "auth", T, "", "Realm shown by basic auth."),
    _a("auth-url", "auth", U, "", "External authentication service URL (subrequest).", risk=_H),
    _a("auth-method", "auth", T, "GET", "Method of the external auth subrequest."),
    _a("auth-signin", "auth", U, "", "Where to send unauthenticated users (401 → 302).", risk=_H),
    _a("auth-signin-redirect-param", "auth", T, "rd", "Query parameter carrying the original URL."),
    _a("auth-response-headers", "auth", C, "", "Headers copied from the auth response to the upstream request."),
    _a("auth-proxy-set-headers", "auth", NN, "", "ConfigMap of headers sent to the auth service.", risk=_M),
    _a("auth-request-redirect", "auth", T, "", "X-Auth-Request-Redirect sent to the auth service."),
    _a("auth-cache-key", "auth", T, "", "Cache key of auth responses."),
    _a("auth-cache-duration", "auth", T, "200 202 401 5m", "Cache durations per status of auth responses."),
    _a("auth-keepalive", "auth", IN, "0", "Keepalive connections to the auth service."),
    _a("auth-keepalive-share-vars", "auth", B, "false", "Share variables between auth and main request."),
    _a("auth-keepalive-requests", "auth", IN, "1000", "Requests per auth keepalive connection."),
    _a("auth-keepalive-timeout", "auth", IN, "60", "Idle timeout of auth keepalive connections."),
    _a("auth-always-set-cookie", "auth", B, "false", "Set cookies from the auth response on every response."),
    _a("auth-snippet", "auth", P, "", "Raw nginx configuration in the auth location.", risk=_CR),
    _a("enable-global-auth", "auth", B, "true", "Apply the ConfigMap's global-auth-url to this Ingress."),
    _a("satisfy", "auth", E, "", "Combine auth methods with any/all.", choices=("any", "all")),
    # cors
    _a("enable-cors", "cors", B, "false", "Answer CORS preflights and add CORS headers."),
    _a("cors-allow-origin", "cors", C, "*", "Allowed origins."),
    _a("cors-allow-methods", "cors", C, "GET, PUT, POST, DELETE, PATCH, OPTIONS", "Allowed methods."),
    _a(
        "cors-allow-headers",
        "cors",
        C,
        "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization",
        "Allowed request headers.",
    ),
    _a("cors-expose-headers", "cors", C, "", "Headers exposed to the browser."),
    _a("cors-allow-credentials", "cors", B, "true", "Allow credentials."),
    _a("cors-max-age", "cors", IN, "1728000", "Seconds a preflight may be cached."),
    # errors and headers
    _a("custom-http-errors", "errors", SC, "", "Status codes intercepted and served by the default backend."),
    _a("disable-proxy-intercept-errors", "errors", B, "false", "Do not intercept upstream error pages."),
    _a("custom-headers", "headers", NN, "", "ConfigMap of response headers to add.", risk=_M),
    _a("upstream-vhost", "headers", T, "", "Host header sent to the backend."),
    _a("connection-proxy-header", "headers", T, "", "Connection header sent to the backend."),
    _a("proxy-redirect-from", "headers", T, "", "Location prefix rewritten in backend redirects."),
    _a("proxy-redirect-to", "headers", T, "", "Replacement for proxy-redirect-from."),
    _a("proxy-cookie-domain", "headers", T, "", "Set-Cookie domain rewrite."),
    _a("proxy-cookie-path", "headers", T, "", "Set-Cookie path rewrite."),
    # session affinity / load balancing
    _a("affinity", "affinity", E, "", "Session affinity type.", choices=("cookie",)),
    _a("affinity-mode", "affinity", E, "balanced", "Affinity mode.", choices=("balanced", "persistent")),
    _a("session-cookie-name", "affinity", T, "INGRESSCOOKIE", "Affinity cookie name."),
    _a("session-cookie-path", "affinity", T, "/", "Affinity cookie path."),
    _a("session-cookie-domain", "affinity", T, "", "Affinity cookie domain."),
    _a("session-cookie-samesite", "affinity", E, "", "SameSite.", choices=("none", "lax", "strict")),
    _a("session-cookie-conditional-samesite-none", "affinity", B, "false", "Omit SameSite=None for old clients."),
    _a("session-cookie-expires", "affinity", IN, "", "Cookie Expires in seconds."),
    _a("session-cookie-max-age", "affinity", IN, "", "Cookie Max-Age in seconds."),
    _a("session-cookie-secure", "affinity", B, "false", "Secure cookie attribute."),
    _a("session-cookie-change-on-failure", "affinity", B, "false", "Pick a new backend when the sticky one fails."),
    _a(
        "load-balance",
        "balancing",
        E,
        "round_robin",
        "Load-balancing algorithm.",
        choices=("round_robin", "ewma", "chash", "chashsubset", "sticky_balanced", "sticky_persistent"),
    ),
    _a("upstream-hash-by", "balancing", T, "", "nginx variable to hash for consistent hashing."),
    _a("upstream-hash-by-subset", "balancing", B, "false", "Hash to a subset of endpoints."),
    _a("upstream-hash-by-subset-size", "balancing", IN, "3", "Size of the hash subset."),
    _a("service-upstream", "balancing", B, "false", "Proxy to the Service ClusterIP instead of the endpoints."),
    # rate limiting and access control
    _a("limit-connections", "ratelimit", IN, "", "Concurrent connections per client IP."),
    _a("limit-rps", "ratelimit", IN, "", "Requests per second per client IP (burst = 5x)."),
    _a("limit-rpm", "ratelimit", IN, "", "Requests per minute per client IP (burst = 5x)."),
    _a("limit-burst-multiplier", "ratelimit", IN, "5", "Burst size as a multiple of the limit."),
    _a("limit-rate-after", "ratelimit", IN, "0", "Kilobytes sent before limit-rate applies."),
    _a("limit-rate", "ratelimit", IN, "0", "Response kilobytes per second per connection."),
    _a(
        "limit-allowlist", "ratelimit", N, "", "Client CIDRs exempt from the rate limits.", aliases=("limit-whitelist",)
    ),
    _a(
        "allowlist-source-range",
        "access",
        N,
        "",
        "Only these client CIDRs may connect (403 for others).",
        aliases=("whitelist-source-range",),
    ),
    _a("denylist-source-range", "access", N, "", "These client CIDRs get 403."),
    # timeouts, retries, buffering
    _a("proxy-connect-timeout", "timeouts", S, "5", "Timeout for connecting to the backend."),
    _a("proxy-send-timeout", "timeouts", S, "60", "Maximum gap between two writes to the backend."),
    _a("proxy-read-timeout", "timeouts", S, "60", "Maximum gap between two reads from the backend."),
    _a("proxy-next-upstream", "retries", T, "error timeout", "When to retry on another endpoint."),
    _a("proxy-next-upstream-timeout", "retries", S, "0", "Time limit for passing to the next endpoint."),
    _a("proxy-next-upstream-tries", "retries", IN, "3", "Attempts, the first included."),
    _a("proxy-request-buffering", "buffering", E, "on", "Buffer the whole request body.", choices=("on", "off")),
    _a("proxy-body-size", "buffering", Z, "1m", "Maximum request body size (413 above)."),
    _a("client-body-buffer-size", "buffering", Z, "8k", "Request body kept in memory before spooling to disk."),
    _a("proxy-buffering", "buffering", E, "off", "Buffer responses.", choices=("on", "off")),
    _a("proxy-buffer-size", "buffering", Z, "4k", "Buffer for the response headers."),
    _a("proxy-buffers-number", "buffering", IN, "4", "Number of response buffers."),
    _a("proxy-busy-buffers-size", "buffering", Z, "", "Busy response buffers size."),
    _a("proxy-max-temp-file-size", "buffering", Z, "1024m", "Temp file size for buffered responses."),
    _a("proxy-http-version", "buffering", E, "1.1", "HTTP version to the backend.", choices=("1.0", "1.1")),
    # mirroring
    _a("mirror-target", "mirror", U, "", "Copy each request to this URL."),
    _a("mirror-request-body", "mirror", E, "on", "Send the body to the mirror.", choices=("on", "off")),
    _a("mirror-host", "mirror", T, "", "Host header of mirrored requests."),
    # snippets and WAF
    _a("configuration-snippet", "snippets", P, "", "Raw nginx configuration in the location.", risk=_CR),
    _a("server-snippet", "snippets", P, "", "Raw nginx configuration in the server.", risk=_CR, scope="server"),
    _a("stream-snippet", "snippets", P, "", "Raw nginx configuration in the stream block.", risk=_CR, scope="ingress"),
    _a("enable-modsecurity", "waf", B, "false", "Enable ModSecurity."),
    _a("enable-owasp-core-rules", "waf", B, "false", "Load the OWASP core rule set."),
    _a("modsecurity-transaction-id", "waf", T, "", "ModSecurity transaction id."),
    _a("modsecurity-snippet", "waf", P, "", "Raw ModSecurity configuration.", risk=_CR),
    # observability
    _a("enable-access-log", "observability", B, "true", "Write access log lines for this location."),
    _a("enable-rewrite-log", "observability", B, "false", "Log rewrites to the error log."),
    _a("enable-opentelemetry", "observability", B, "false", "Trace requests with OpenTelemetry."),
    _a("opentelemetry-trust-incoming-span", "observability", B, "true", "Continue incoming traces."),
    _a("opentelemetry-operation-name", "observability", T, "", "Span name."),
    _a("http2-push-preload", "misc", B, "false", "HTTP/2 server push of preload links."),
    _a("fastcgi-index", "fastcgi", T, "", "FastCGI index file."),
    _a("fastcgi-params-configmap", "fastcgi", NN, "", "ConfigMap of FastCGI params.", risk=_M),
)


def _index(specs: tuple[AnnotationSpec, ...]) -> MappingProxyType[str, AnnotationSpec]:
    out: dict[str, AnnotationSpec] = {}
    for spec in specs:
        for key in spec.keys:
            if key in out:
                raise ValueError(f"annotation key {key} is catalogued twice")
            out[key] = spec
    return MappingProxyType(out)


CATALOGUE = _index(ANNOTATIONS)
"""Every annotation key and alias → its :class:`AnnotationSpec`."""

ALIASES: dict[str, str] = {alias: spec.key for spec in ANNOTATIONS for alias in spec.aliases}
"""Alias → canonical key (``whitelist-source-range`` → ``allowlist-source-range``)."""


def lookup_annotation(key: str) -> AnnotationSpec | None:
    """The spec of an annotation key without prefix (aliases included), or None for an unknown key."""
    return CATALOGUE.get(key)
