"""The Ingress input model: what ingress-nginx reads, as frozen, typed dataclasses (pure; stable API).

Build it from :class:`ferry._kernel.KubeObject` s (files, stdin, cluster dumps, a live cluster all end up as those)::

    from ferry._kernel import parse_manifests
    from ferry.gateway import read_ingress_input

    data = read_ingress_input(parse_manifests(text, "ingresses.yaml"), annotation_prefix="nginx.ingress.kubernetes.io")
    for ingress in data.ingresses:             # ingress-nginx order: oldest first, ties by ns/name descending
        ingress.ingress_class, ingress.class_source
        for rule in ingress.rules:             # IngressRule(host, paths)   host "" = any host
            for path in rule.paths:            # IngressPath(path, path_type: PathType, backend: IngressBackend)
                path.backend.service           # ServiceBackend(name, port_number | port_name) or None
                path.backend.resource          # ResourceBackend(kind, name, api_group) or None
        ingress.tls                            # IngressTLS(hosts, secret_name)  (Secrets by name only)
        ingress.default_backend                # IngressBackend or None
        ingress.annotation("rewrite-target")   # AnnotationValue(key, full_key, raw, spec, value, error, line)
        ingress.value("canary-weight")         # typed by the catalogue (bool/int/str/tuple), None if absent/invalid
        ingress.flag("use-regex"), ingress.text("upstream-vhost"), ingress.number("limit-rps"), ingress.items(...)
    data.classes       # IngressClass by name (controller, is_default)
    data.config        # ControllerConfig: the controller ConfigMap with typed defaults (proxy_body_size, ...)
    data.streams       # StreamService entries of tcp-services / udp-services
    data.problems      # IngressProblem(severity, message, path, document, obj, field, line)
    data.skipped       # Ingresses of other classes/controllers

Annotations are read under ``annotation_prefix`` (ingress-nginx's ``--annotations-prefix``) and typed by the
catalogue (:mod:`ferry.gateway._catalogue`); aliases resolve to the canonical key; unknown keys and invalid values
are kept (``spec`` None or ``error`` set) and reported as warnings, never dropped. Structural problems raise
:class:`~ferry.gateway.IngressInputError` from :func:`parse_ingress` and become ``error`` problems (the object is
left out) in :func:`read_ingress_input`. Class resolution: ``spec.ingressClassName`` → the deprecated
``kubernetes.io/ingress.class`` annotation → the default IngressClass of the controller → ``--ingress-class``.
"""

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
from ferry.gateway._ingress._parse import (
    CLASS_ANNOTATION,
    DEFAULT_CONTROLLER,
    ingress_nginx_order,
    parse_controller_config,
    parse_ingress,
    parse_ingress_class,
    parse_stream_services,
    read_ingress_input,
)
from ferry.gateway._ingress._values import AnnotationValueError, parse_duration, parse_size, typed_value

__all__ = [
    "CLASS_ANNOTATION",
    "DEFAULT_CONTROLLER",
    "AnnotationValue",
    "AnnotationValueError",
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
    "ingress_nginx_order",
    "parse_controller_config",
    "parse_duration",
    "parse_ingress",
    "parse_ingress_class",
    "parse_size",
    "parse_stream_services",
    "read_ingress_input",
    "typed_value",
]
