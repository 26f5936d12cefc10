"""The typed Ingress input model: frozen dataclasses, no behaviour beyond lookups (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import Any

from ferry._kernel import SourceRef
from ferry.gateway._catalogue import AnnotationSpec
from ferry.gateway._ingress._values import TypedValue

__all__ = [
    "AnnotationValue",
    "ClassSource",
    "ControllerConfig",
    "Ingress",
    "IngressBackend",
    "IngressClass",
    "IngressInput",
    "IngressPath",
    "IngressProblem",
    "IngressRule",
    "IngressTLS",
    "PathType",
    "ResourceBackend",
    "ServiceBackend",
    "StreamService",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class PathType(StrEnum):
    EXACT = "Exact"
    PREFIX = "Prefix"
    IMPLEMENTATION_SPECIFIC = "ImplementationSpecific"


class ClassSource(StrEnum):
    """Where an Ingress's class came from."""

    SPEC = "spec.ingressClassName"
    ANNOTATION = "kubernetes.io/ingress.class"  # deprecated annotation
    DEFAULT = "default IngressClass"
    FLAG = "--ingress-class (Ingress without a class)"
    NONE = "none"


@dataclass(frozen=True)
class ServiceBackend:
    """``backend.service``: a Service in the Ingress's namespace, port by name or number (exactly one is set)."""

    name: str
    port_number: int | None = None
    port_name: str | None = None

    @property
    def port(self) -> int | str:
        return self.port_number if self.port_number is not None else (self.port_name or "")


@dataclass(frozen=True)
class ResourceBackend:
    """``backend.resource``: a typed object reference (e.g. a StorageBucket) in the Ingress's namespace."""

    kind: str
    name: str
    api_group: str = ""


@dataclass(frozen=True)
class IngressBackend:
    """A backend: exactly one of ``service`` and ``resource``. ``field`` is where it was written."""

    service: ServiceBackend | None = None
    resource: ResourceBackend | None = None
    field: str = ""


@dataclass(frozen=True)
class IngressPath:
    """One ``http.paths[]`` entry. ``path`` defaults to ``/`` as in the API."""

    path: str
    path_type: PathType
    backend: IngressBackend
    field: str = ""
    line: int | None = None


@dataclass(frozen=True)
class IngressRule:
    """One ``spec.rules[]`` entry; ``host`` is "" for rules that match any host."""

    host: str
    paths: tuple[IngressPath, ...]
    field: str = ""
    line: int | None = None

    @property
    def is_wildcard(self) -> bool:
        return self.host.startswith("*.")


@dataclass(frozen=True)
class IngressTLS:
    """One ``spec.tls[]`` entry: the hosts and the Secret (by name only; its data is never read)."""

    hosts: tuple[str, ...]
    secret_name: str | None
    field: str = ""


@dataclass(frozen=True)
class AnnotationValue:
    """An annotation read with the configured prefix.

    Attributes:
        key: the key without prefix as written (may be an alias).
        full_key: the key as written in metadata.annotations.
        raw: the value as written.
        spec: the catalogue entry (None for a key the catalogue does not know).
        value: the typed value (None when ``spec`` is None or the value is invalid).
        error: why the value is invalid (ingress-nginx then ignores the annotation), or None.
        line: 1-based line of the annotation, when known.
    """

    key: str
    full_key: str
    raw: str
    spec: AnnotationSpec | None
    value: TypedValue | None
    error: str | None = None
    line: int | None = None

    @property
    def canonical(self) -> str:
        """The catalogue's key (aliases resolved), or the key as written for unknown annotations."""
        return self.spec.key if self.spec else self.key

    @property
    def known(self) -> bool:
        return self.spec is not None

    @property
    def valid(self) -> bool:
        return self.spec is not None and self.error is None


@dataclass(frozen=True)
class Ingress:
    """An Ingress (networking.k8s.io/v1) as ingress-nginx sees it.

    ``annotations`` holds the prefixed annotations by canonical key (aliases resolved; when a key and its alias
    are both present the canonical one wins and the alias is kept in ``shadowed``); ``other_annotations`` the
    rest (not under the prefix). ``ingress_class`` is the resolved class, ``class_source`` where it came from.
    """

    namespace: str
    name: str
    rules: tuple[IngressRule, ...]
    tls: tuple[IngressTLS, ...] = ()
    default_backend: IngressBackend | None = None
    ingress_class: str | None = None
    class_source: ClassSource = ClassSource.NONE
    annotations: Mapping[str, AnnotationValue] = field(default_factory=lambda: MappingProxyType({}))
    shadowed: tuple[AnnotationValue, ...] = ()
    other_annotations: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    creation_timestamp: str = ""
    source: SourceRef = field(default_factory=lambda: SourceRef("<string>"))

    @property
    def ref(self) -> str:
        return f"Ingress {self.namespace}/{self.name}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    @cached_property
    def _lookup(self) -> dict[str, AnnotationValue]:
        """Annotations by canonical key and by every alias of a present key (one dict lookup per question)."""
        lookup = dict(self.annotations)
        for value in self.annotations.values():
            if value.spec is not None:
                for alias in value.spec.aliases:
                    lookup.setdefault(alias, value)
        return lookup

    @cached_property
    def _valid(self) -> dict[str, TypedValue]:
        return {k: v.value for k, v in self._lookup.items() if v.valid and v.value is not None}

    def annotation(self, key: str) -> AnnotationValue | None:
        """The annotation with this canonical key (or alias), if present."""
        return self._lookup.get(key)

    def value(self, key: str, default: TypedValue | None = None) -> TypedValue | None:
        """The typed value of a valid annotation, else ``default``."""
        found = self._valid.get(key)
        return default if found is None else found

    def flag(self, key: str, default: bool = False) -> bool:
        found = self._valid.get(key)
        return found if isinstance(found, bool) else default

    def text(self, key: str, default: str = "") -> str:
        found = self._valid.get(key)
        return found if isinstance(found, str) else default

    def number(self, key: str) -> int | None:
        found = self._valid.get(key)
        return found if isinstance(found, int) and not isinstance(found, bool) else None

    def items(self, key: str) -> tuple[str, ...]:
        found = self._valid.get(key)
        if isinstance(found, tuple):
            return tuple(str(v) for v in found)
        return ()

    @property
    def hosts(self) -> tuple[str, ...]:
        """Hosts of the rules, in order, without duplicates ("" for the any-host rule)."""
        return tuple(dict.fromkeys(rule.host for rule in self.rules))

    @property
    def tls_hosts(self) -> frozenset[str]:
        return frozenset(h for entry in self.tls for h in entry.hosts)

    @property
    def is_canary(self) -> bool:
        return self.flag("canary")


@dataclass(frozen=True)
class IngressClass:
    """An IngressClass: its controller and whether it is the cluster default."""

    name: str
    controller: str
    is_default: bool = False
    parameters: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    source: SourceRef = field(default_factory=lambda: SourceRef("<string>"))


@dataclass(frozen=True)
class StreamService:
    """One entry of the tcp-services / udp-services ConfigMap: ``"<port>": "<ns>/<svc>:<port>[:PROXY][:PROXY]"``."""

    protocol: str  # "TCP" or "UDP"
    port: int
    namespace: str
    service: str
    service_port: int | str
    decode_proxy: bool = False
    encode_proxy: bool = False
    source: SourceRef = field(default_factory=lambda: SourceRef("<string>"))


@dataclass(frozen=True)
class ControllerConfig:
    """The ingress-nginx controller ConfigMap, with typed accessors for the keys that change behaviour.

    ``data`` keeps every key as written; the properties apply ingress-nginx's defaults (computed once: a
    conversion asks for them per Ingress).
    """

    namespace: str = ""
    name: str = ""
    data: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    source: SourceRef | None = None

    def _bool(self, key: str, default: bool) -> bool:
        text = self.data.get(key)
        if text is None:
            return default
        return text.strip().lower() in ("true", "1", "t", "yes", "on")

    def _int(self, key: str, default: int) -> int:
        text = self.data.get(key, "").strip()
        return int(text) if text.isdigit() else default

    @cached_property
    def proxy_body_size(self) -> int:
        """Bytes (default 1 MiB; 0 = unlimited)."""
        from ferry.gateway._ingress._values import AnnotationValueError, parse_size

        try:
            return parse_size(self.data.get("proxy-body-size", "1m"))
        except AnnotationValueError:
            return 1024 * 1024

    @cached_property
    def ssl_redirect(self) -> bool:
        return self._bool("ssl-redirect", True)

    @cached_property
    def force_ssl_redirect(self) -> bool:
        return self._bool("force-ssl-redirect", False)

    @cached_property
    def http_redirect_code(self) -> int:
        code = self._int("http-redirect-code", 308)
        return code if code in (301, 302, 307, 308) else 308

    @cached_property
    def use_forwarded_headers(self) -> bool:
        return self._bool("use-forwarded-headers", False)

    @cached_property
    def compute_full_forwarded_for(self) -> bool:
        return self._bool("compute-full-forwarded-for", False)

    @cached_property
    def forwarded_for_header(self) -> str:
        return self.data.get("forwarded-for-header", "X-Forwarded-For").strip() or "X-Forwarded-For"

    @cached_property
    def use_proxy_protocol(self) -> bool:
        return self._bool("use-proxy-protocol", False)

    @cached_property
    def proxy_real_ip_cidr(self) -> tuple[str, ...]:
        text = self.data.get("proxy-real-ip-cidr", "0.0.0.0/0")
        return tuple(p.strip() for p in text.split(",") if p.strip())

    @cached_property
    def hsts(self) -> bool:
        return self._bool("hsts", True)

    @cached_property
    def hsts_max_age(self) -> int:
        return self._int("hsts-max-age", 31536000)

    @cached_property
    def hsts_include_subdomains(self) -> bool:
        return self._bool("hsts-include-subdomains", True)

    @cached_property
    def hsts_preload(self) -> bool:
        return self._bool("hsts-preload", False)

    @cached_property
    def proxy_connect_timeout(self) -> int:
        return self._int("proxy-connect-timeout", 5)

    @cached_property
    def proxy_read_timeout(self) -> int:
        return self._int("proxy-read-timeout", 60)

    @cached_property
    def proxy_send_timeout(self) -> int:
        return self._int("proxy-send-timeout", 60)

    @cached_property
    def proxy_next_upstream(self) -> str:
        return self.data.get("proxy-next-upstream", "error timeout").strip()

    @cached_property
    def proxy_next_upstream_tries(self) -> int:
        return self._int("proxy-next-upstream-tries", 3)

    @cached_property
    def limit_req_status_code(self) -> int:
        return self._int("limit-req-status-code", 503)

    @cached_property
    def worker_shutdown_timeout(self) -> str:
        return self.data.get("worker-shutdown-timeout", "240s").strip()

    @cached_property
    def allow_snippet_annotations(self) -> bool:
        return self._bool("allow-snippet-annotations", False)

    @cached_property
    def annotations_risk_level(self) -> str:
        return self.data.get("annotations-risk-level", "High").strip() or "High"


@dataclass(frozen=True)
class IngressProblem:
    """Something wrong or notable in the input, with file, document, object and field."""

    severity: str  # "error" or "warning"
    message: str
    path: str
    document: int | None = None
    obj: str | None = None
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line is not None else "")
        details = [d for d in (f"document {self.document}" if self.document is not None else None, self.obj) if d]
        if self.field:
            details.append(f"field {self.field}")
        return f"{where} ({', '.join(details)}): {self.message}" if details else f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "document": self.document,
            "object": self.obj,
            "field": self.field,
            "line": self.line,
        }


@dataclass(frozen=True)
class IngressInput:
    """Everything read for a conversion.

    Attributes:
        ingresses: the Ingresses ingress-nginx would serve (class-filtered), sorted as ingress-nginx sorts them
            (oldest creationTimestamp first, ties by namespace/name).
        skipped: Ingresses left out (another controller's class), with the reason in ``problems``.
        classes: IngressClasses by name.
        config: the controller ConfigMap (defaults when none was given).
        streams: tcp-services / udp-services entries, TCP first, by port.
        problems: errors (objects left out) and warnings (unknown annotations, invalid values, ...).
        annotation_prefix: the prefix annotations were read with.
    """

    ingresses: tuple[Ingress, ...]
    skipped: tuple[Ingress, ...] = ()
    classes: Mapping[str, IngressClass] = field(default_factory=lambda: MappingProxyType({}))
    config: ControllerConfig = field(default_factory=ControllerConfig)
    streams: tuple[StreamService, ...] = ()
    problems: tuple[IngressProblem, ...] = ()
    annotation_prefix: str = "nginx.ingress.kubernetes.io"

    @property
    def errors(self) -> tuple[IngressProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[IngressProblem, ...]:
        return tuple(p for p in self.problems if p.severity != "error")
