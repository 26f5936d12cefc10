"""From :class:`~ferry._kernel.KubeObject` to the typed Ingress model (pure).

:func:`parse_ingress` raises :class:`IngressInputError` naming file, document, object and field at the first
structural problem; :func:`read_ingress_input` reads a whole set of objects, records every problem and keeps going.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from ferry._kernel import KubeObject
from ferry.gateway._catalogue import DEFAULT_ANNOTATION_PREFIX, lookup_annotation
from ferry.gateway._errors import IngressInputError
from ferry.gateway._ingress._model import (
    AnnotationValue,
    ClassSource,
    ControllerConfig,
    Ingress,
    IngressBackend,
    IngressClass,
    IngressInput,
    IngressPath,
    IngressProblem,
    IngressRule,
    IngressTLS,
    PathType,
    ResourceBackend,
    ServiceBackend,
    StreamService,
)
from ferry.gateway._ingress._values import AnnotationValueError, typed_value

__all__ = [
    "CLASS_ANNOTATION",
    "CONTROLLER_CONFIGMAP_NAMES",
    "DEFAULT_CONTROLLER",
    "STREAM_CONFIGMAP_NAMES",
    "ingress_nginx_order",
    "parse_controller_config",
    "parse_ingress",
    "parse_ingress_class",
    "parse_stream_services",
    "read_ingress_input",
]

CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
DEFAULT_CONTROLLER = "k8s.io/ingress-nginx"
CONTROLLER_CONFIGMAP_NAMES = frozenset({"ingress-nginx-controller", "nginx-configuration", "ingress-nginx"})
STREAM_CONFIGMAP_NAMES = {
    "TCP": frozenset({"tcp-services", "ingress-nginx-tcp"}),
    "UDP": frozenset({"udp-services", "ingress-nginx-udp"}),
}
_SPEC_FIELDS = frozenset({"ingressClassName", "defaultBackend", "rules", "tls"})
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_STREAM = re.compile(r"^(?:(?P<ns>[^/:]+)/)?(?P<svc>[^/:]+):(?P<port>[^:]+)(?P<proxy>(?::PROXY){0,2})$")


def _fail(obj: KubeObject, message: str, *path: str | int, hint: str | None = None) -> IngressInputError:
    return IngressInputError(
        message,
        path=obj.source.path,
        document=obj.source.document,
        obj=obj.ref,
        field=_field(path) if path else None,
        line=obj.line_of(*path),
        hint=hint,
    )


def _field(path: Iterable[str | int]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def _problem(obj: KubeObject, severity: str, message: str, *path: str | int) -> IngressProblem:
    return IngressProblem(
        severity=severity,
        message=message,
        path=obj.source.path,
        document=obj.source.document,
        obj=obj.ref,
        field=_field(path) if path else None,
        line=obj.line_of(*path),
    )


def _mapping(obj: KubeObject, value: Any, *path: str | int) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(obj, f"expected a mapping, found {type(value).__name__}", *path)
    return value


def _list(obj: KubeObject, value: Any, *path: str | int) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(obj, f"expected a list, found {type(value).__name__}", *path)
    return value


def _backend(obj: KubeObject, raw: Any, *path: str | int) -> IngressBackend:
    body = _mapping(obj, raw, *path)
    service, resource = body.get("service"), body.get("resource")
    if "serviceName" in body or "servicePort" in body:
        raise _fail(
            obj,
            "serviceName/servicePort are the removed v1beta1 backend form",
            *path,
            hint="use backend.service.name and backend.service.port.number|name (networking.k8s.io/v1)",
        )
    if (service is None) == (resource is None):
        raise _fail(obj, "a backend needs exactly one of 'service' and 'resource'", *path)
    if service is not None:
        svc = _mapping(obj, service, *path, "service")
        name = svc.get("name")
        if not isinstance(name, str) or not name:
            raise _fail(obj, "backend service needs a name", *path, "service", "name")
        port = _mapping(obj, svc.get("port"), *path, "service", "port")
        number, port_name = port.get("number"), port.get("name")
        if (number is None) == (port_name is None):
            raise _fail(obj, "service port needs exactly one of 'number' and 'name'", *path, "service", "port")
        if number is not None and (not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 65536):
            raise _fail(obj, f"port number {number!r} is not between 1 and 65535", *path, "service", "port", "number")
        if port_name is not None and (not isinstance(port_name, str) or not port_name):
            raise _fail(obj, "port name must be a non-empty string", *path, "service", "port", "name")
        return IngressBackend(
            service=ServiceBackend(name=name, port_number=number, port_name=port_name), field=_field(path)
        )
    res = _mapping(obj, resource, *path, "resource")
    kind, rname = res.get("kind"), res.get("name")
    if not isinstance(kind, str) or not kind or not isinstance(rname, str) or not rname:
        raise _fail(obj, "resource backend needs a kind and a name", *path, "resource")
    group = res.get("apiGroup") or ""
    return IngressBackend(resource=ResourceBackend(kind=kind, name=rname, api_group=str(group)), field=_field(path))


def _host(obj: KubeObject, raw: Any, *path: str | int) -> str:
    if raw is None or raw == "":
        return ""
    if not isinstance(raw, str):
        raise _fail(obj, "host must be a string", *path)
    host = raw.lower()
    if not _HOST.match(host) or len(host) > 253:
        raise _fail(
            obj,
            f"'{raw}' is not a valid host (DNS name, optionally starting with '*.')",
            *path,
            hint="IP addresses and wildcards other than a leading '*.' are not allowed in Ingress hosts",
        )
    return host


def _paths(obj: KubeObject, raw_rule: Mapping[str, Any], index: int) -> tuple[IngressPath, ...]:
    http = raw_rule.get("http")
    if http is None:
        return ()
    http_map = _mapping(obj, http, "spec", "rules", index, "http")
    out = []
    for j, raw in enumerate(_list(obj, http_map.get("paths"), "spec", "rules", index, "http", "paths")):
        base = ("spec", "rules", index, "http", "paths", j)
        item = _mapping(obj, raw, *base)
        path = item.get("path", "/")
        if path is None:
            path = "/"
        if not isinstance(path, str) or not path.startswith("/"):
            raise _fail(obj, f"path {path!r} must start with '/'", *base, "path")
        ptype = item.get("pathType")
        if ptype is None:
            raise _fail(obj, "pathType is required in networking.k8s.io/v1", *base, "pathType")
        try:
            path_type = PathType(ptype)
        except ValueError:
            raise _fail(
                obj, f"pathType {ptype!r} is not Exact, Prefix or ImplementationSpecific", *base, "pathType"
            ) from None
        backend = _backend(obj, item.get("backend"), *base, "backend")
        out.append(IngressPath(path, path_type, backend, field=_field(base), line=obj.line_of(*base)))
    return tuple(out)


def _annotations(
    obj: KubeObject, prefix: str, problems: list[IngressProblem]
) -> tuple[dict[str, AnnotationValue], list[AnnotationValue], dict[str, str]]:
    raw = obj.metadata.get("annotations")
    if raw is not None and not isinstance(raw, Mapping):
        raise _fail(obj, "metadata.annotations must be a mapping", "metadata", "annotations")
    known: dict[str, AnnotationValue] = {}
    shadowed: list[AnnotationValue] = []
    other: dict[str, str] = {}
    lead = prefix.rstrip("/") + "/"
    for full_key in sorted((raw or {}).keys(), key=str):
        value = (raw or {})[full_key]
        field_path = ("metadata", "annotations", str(full_key))
        if not isinstance(value, str):
            raise _fail(
                obj,
                f"annotation values must be strings, found {type(value).__name__}",
                *field_path,
                hint='quote the value, e.g. "true" or "10"',
            )
        key_text = str(full_key)
        if not key_text.startswith(lead):
            other[key_text] = value
            continue
        key = key_text[len(lead) :]
        spec = lookup_annotation(key)
        line = obj.line_of(*field_path)
        if spec is None:
            problems.append(
                _problem(obj, "warning", f"unknown annotation {key_text}: ingress-nginx ignores it", *field_path)
            )
            known[key] = AnnotationValue(key, key_text, value, None, None, None, line)
            continue
        try:
            typed = typed_value(spec, value)
            error = None
        except AnnotationValueError as exc:
            typed, error = None, str(exc)
            problems.append(
                _problem(
                    obj, "warning", f"invalid value for {key_text}: {error}; ingress-nginx ignores it", *field_path
                )
            )
        entry = AnnotationValue(key, key_text, value, spec, typed, error, line)
        previous = known.get(spec.key)
        if previous is None:
            known[spec.key] = entry
        elif key == spec.key:  # the canonical key wins over an alias
            shadowed.append(previous)
            known[spec.key] = entry
        else:
            shadowed.append(entry)
    return known, shadowed, other


def parse_ingress(
    obj: KubeObject,
    *,
    annotation_prefix: str = DEFAULT_ANNOTATION_PREFIX,
    problems: list[IngressProblem] | None = None,
) -> Ingress:
    """The typed :class:`Ingress` of ``obj`` (class not yet resolved against IngressClasses).

    Raises :class:`IngressInputError` on structural problems; annotation problems (unknown keys, invalid
    values) are appended to ``problems`` as warnings, since ingress-nginx ignores them too.
    """
    sink: list[IngressProblem] = problems if problems is not None else []
    if obj.kind != "Ingress":
        raise _fail(obj, f"expected an Ingress, found {obj.kind}", "kind")
    if obj.api_version != "networking.k8s.io/v1":
        raise _fail(
            obj,
            f"Ingress apiVersion {obj.api_version} is not served any more",
            "apiVersion",
            hint="convert it to networking.k8s.io/v1 (kubectl convert) first",
        )
    if not obj.name:
        raise _fail(obj, "Ingress has no metadata.name", "metadata")
    spec = _mapping(obj, obj.body.get("spec"), "spec")
    for key in sorted(set(spec) - _SPEC_FIELDS):
        sink.append(_problem(obj, "warning", f"unknown field spec.{key} ignored", "spec", key))
    annotations, shadowed, other = _annotations(obj, annotation_prefix, sink)
    rules = []
    for i, raw in enumerate(_list(obj, spec.get("rules"), "spec", "rules")):
        rule = _mapping(obj, raw, "spec", "rules", i)
        host = _host(obj, rule.get("host"), "spec", "rules", i, "host")
        rules.append(
            IngressRule(host, _paths(obj, rule, i), field=f"spec.rules[{i}]", line=obj.line_of("spec", "rules", i))
        )
    tls = []
    for i, raw in enumerate(_list(obj, spec.get("tls"), "spec", "tls")):
        entry = _mapping(obj, raw, "spec", "tls", i)
        hosts = tuple(
            _host(obj, h, "spec", "tls", i, "hosts", j)
            for j, h in enumerate(_list(obj, entry.get("hosts"), "spec", "tls", i, "hosts"))
        )
        secret = entry.get("secretName")
        if secret is not None and (not isinstance(secret, str) or not _NAME.match(secret)):
            raise _fail(obj, f"secretName {secret!r} is not a valid name", "spec", "tls", i, "secretName")
        tls.append(IngressTLS(hosts, secret or None, field=f"spec.tls[{i}]"))
    default_backend = None
    if spec.get("defaultBackend") is not None:
        default_backend = _backend(obj, spec.get("defaultBackend"), "spec", "defaultBackend")
    if not rules and default_backend is None:
        raise _fail(obj, "an Ingress needs rules or a defaultBackend", "spec")
    class_name = spec.get("ingressClassName")
    if class_name is not None and not isinstance(class_name, str):
        raise _fail(obj, "ingressClassName must be a string", "spec", "ingressClassName")
    ingress_class: str | None = None
    source = ClassSource.NONE
    if class_name:
        ingress_class, source = class_name, ClassSource.SPEC
    elif other.get(CLASS_ANNOTATION):
        ingress_class, source = other[CLASS_ANNOTATION], ClassSource.ANNOTATION
        sink.append(
            _problem(
                obj,
                "warning",
                f"the {CLASS_ANNOTATION} annotation is deprecated; use spec.ingressClassName",
                "metadata",
                "annotations",
                CLASS_ANNOTATION,
            )
        )
    labels = obj.labels
    created = obj.metadata.get("creationTimestamp")
    return Ingress(
        namespace=obj.namespace or "default",
        name=obj.name,
        rules=tuple(rules),
        tls=tuple(tls),
        default_backend=default_backend,
        ingress_class=ingress_class,
        class_source=source,
        annotations=MappingProxyType(annotations),
        shadowed=tuple(shadowed),
        other_annotations=MappingProxyType(other),
        labels=MappingProxyType({str(k): str(v) for k, v in labels.items()}),
        creation_timestamp=str(created) if created else "",
        source=obj.source,
    )


def parse_ingress_class(obj: KubeObject) -> IngressClass:
    """The typed :class:`IngressClass` of ``obj``."""
    spec = _mapping(obj, obj.body.get("spec"), "spec")
    controller = spec.get("controller")
    if not isinstance(controller, str) or not controller:
        raise _fail(obj, "IngressClass needs spec.controller", "spec", "controller")
    default = str(obj.annotations.get(DEFAULT_CLASS_ANNOTATION, "")).lower() == "true"
    params = _mapping(obj, spec.get("parameters"), "spec", "parameters")
    return IngressClass(obj.name, controller, default, MappingProxyType(dict(params)), obj.source)


def _data(obj: KubeObject) -> dict[str, str]:
    data = _mapping(obj, obj.body.get("data"), "data")
    out = {}
    for key, value in data.items():
        if not isinstance(value, str):
            raise _fail(obj, "ConfigMap data values must be strings", "data", str(key), hint="quote the value")
        out[str(key)] = value
    return out


def parse_controller_config(obj: KubeObject) -> ControllerConfig:
    """The ingress-nginx controller ConfigMap."""
    return ControllerConfig(obj.namespace, obj.name, MappingProxyType(_data(obj)), obj.source)


def parse_stream_services(obj: KubeObject, protocol: str) -> tuple[StreamService, ...]:
    """The entries of a tcp-services (``protocol="TCP"``) or udp-services ConfigMap, by port."""
    out = []
    for key, value in sorted(_data(obj).items(), key=lambda kv: (len(kv[0]), kv[0])):
        if not key.isdigit() or not 0 < int(key) < 65536:
            raise _fail(obj, f"key {key!r} is not a port number", "data", key)
        match = _STREAM.match(value.strip())
        if not match:
            raise _fail(obj, f"{value!r} is not <namespace>/<service>:<port>[:PROXY][:PROXY]", "data", key)
        port_text = match.group("port")
        proxy = match.group("proxy").count("PROXY")
        out.append(
            StreamService(
                protocol=protocol,
                port=int(key),
                namespace=match.group("ns") or obj.namespace or "default",
                service=match.group("svc"),
                service_port=int(port_text) if port_text.isdigit() else port_text,
                decode_proxy=proxy >= 1,
                encode_proxy=proxy >= 2,
                source=obj.source,
            )
        )
    return tuple(out)


def ingress_nginx_order(ingresses: Iterable[Ingress]) -> list[Ingress]:
    """ingress-nginx's processing order: oldest creationTimestamp first; ties by namespace/name, descending."""
    by_name = sorted(ingresses, key=lambda i: (i.namespace, i.name), reverse=True)
    return sorted(by_name, key=lambda i: i.creation_timestamp or "")


def read_ingress_input(
    objects: Iterable[KubeObject],
    *,
    annotation_prefix: str = DEFAULT_ANNOTATION_PREFIX,
    ingress_class: str | None = None,
    controller: str = DEFAULT_CONTROLLER,
    configmap: str | None = None,
    tcp_configmap: str | None = None,
    udp_configmap: str | None = None,
) -> IngressInput:
    """Read Ingresses, IngressClasses and the controller's ConfigMaps from ``objects``; never stops at a problem.

    Class resolution follows ingress-nginx: ``spec.ingressClassName``, else the deprecated
    ``kubernetes.io/ingress.class`` annotation, else the default IngressClass. With ``ingress_class`` only
    Ingresses of that class (and class-less ones, which that controller would adopt) are kept; without it, every
    Ingress whose class is not owned by another controller (per its IngressClass) is kept. ``configmap``,
    ``tcp_configmap`` and ``udp_configmap`` name the ConfigMaps as ``namespace/name`` (or ``name``); by default
    the ingress-nginx Helm chart's names are recognised.
    """
    problems: list[IngressProblem] = []
    raw_ingresses: list[Ingress] = []
    classes: dict[str, IngressClass] = {}
    config: ControllerConfig | None = None
    streams: list[StreamService] = []

    def named(obj: KubeObject, wanted: str | None, defaults: frozenset[str]) -> bool:
        if wanted:
            return wanted in (obj.name, f"{obj.namespace}/{obj.name}")
        return obj.name in defaults

    for obj in objects:
        try:
            if obj.kind == "Ingress" and obj.group in ("networking.k8s.io", "extensions"):
                raw_ingresses.append(parse_ingress(obj, annotation_prefix=annotation_prefix, problems=problems))
            elif obj.kind == "IngressClass" and obj.group == "networking.k8s.io":
                parsed = parse_ingress_class(obj)
                classes[parsed.name] = parsed
            elif obj.kind == "ConfigMap" and obj.group == "":
                if named(obj, configmap, CONTROLLER_CONFIGMAP_NAMES):
                    config = parse_controller_config(obj)
                elif named(obj, tcp_configmap, STREAM_CONFIGMAP_NAMES["TCP"]):
                    streams.extend(parse_stream_services(obj, "TCP"))
                elif named(obj, udp_configmap, STREAM_CONFIGMAP_NAMES["UDP"]):
                    streams.extend(parse_stream_services(obj, "UDP"))
        except IngressInputError as exc:
            problems.append(IngressProblem("error", exc.message, exc.path, exc.document, exc.obj, exc.field, exc.line))
    default_class = next(
        (c.name for c in sorted(classes.values(), key=lambda c: c.name) if c.is_default and c.controller == controller),
        None,
    )
    kept: list[Ingress] = []
    skipped: list[Ingress] = []
    for ingress in raw_ingresses:
        resolved = ingress
        if ingress.ingress_class is None:
            adopted = default_class or ingress_class
            if adopted is not None:
                source = ClassSource.DEFAULT if default_class else ClassSource.FLAG
                resolved = _with_class(ingress, adopted, source)
            else:
                problems.append(
                    IngressProblem(
                        "warning",
                        "no ingress class (no ingressClassName, no kubernetes.io/ingress.class, no default "
                        "IngressClass in the input): converted as class nginx; ingress-nginx serves it only with "
                        "--watch-ingress-without-class",
                        ingress.source.path,
                        ingress.source.document,
                        ingress.ref,
                        "spec.ingressClassName",
                        ingress.source.line,
                    )
                )
        cls = resolved.ingress_class
        reason = None
        if ingress_class is not None and cls is not None and cls != ingress_class:
            reason = f"class {cls} is not the selected --ingress-class {ingress_class}"
        elif cls is not None and cls in classes and classes[cls].controller != controller:
            reason = f"class {cls} belongs to controller {classes[cls].controller}, not {controller}"
        if reason:
            skipped.append(resolved)
            problems.append(
                IngressProblem(
                    "warning",
                    f"skipped: {reason}",
                    resolved.source.path,
                    resolved.source.document,
                    resolved.ref,
                    "spec.ingressClassName",
                    resolved.source.line,
                )
            )
        else:
            kept.append(resolved)
    seen: dict[tuple[str, str], Ingress] = {}
    unique = []
    for ingress in ingress_nginx_order(kept):
        if ingress.key in seen:
            problems.append(
                IngressProblem(
                    "error",
                    f"duplicate {ingress.ref} (also in {seen[ingress.key].source})",
                    ingress.source.path,
                    ingress.source.document,
                    ingress.ref,
                    None,
                    ingress.source.line,
                )
            )
            continue
        seen[ingress.key] = ingress
        unique.append(ingress)
    streams.sort(key=lambda s: (s.protocol, s.port))
    return IngressInput(
        ingresses=tuple(unique),
        skipped=tuple(skipped),
        classes=MappingProxyType(classes),
        config=config or ControllerConfig(),
        streams=tuple(streams),
        problems=tuple(problems),
        annotation_prefix=annotation_prefix,
    )


def _with_class(ingress: Ingress, name: str, source: ClassSource) -> Ingress:
    from dataclasses import replace

    return replace(ingress, ingress_class=name, class_source=source)
