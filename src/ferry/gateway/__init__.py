"""ferry.gateway: from ingress-nginx to Gateway API.

* The Ingress input model (typed, frozen, pure; stable API): :func:`read_ingress_input` and the dataclasses it
  returns — documented in :mod:`ferry.gateway._ingress`.
* The annotation catalogue (:data:`ANNOTATIONS`, :data:`CATALOGUE`) and the parity of each key across six targets
  (:data:`PARITY`, :func:`parity_for`).
* The conversion: :func:`convert` (``IngressInput`` → :class:`Conversion` of Gateway API / Envoy Gateway objects,
  per-annotation :class:`Outcome` s, differences, ownership).
* The audit: :func:`build_audit` → :class:`Audit` (``to_dict()`` is the JSON the CLI prints), :func:`render_markdown`,
  :func:`render_html`.
* I/O adapters: :func:`load_objects` (files, directories, stdin) and :func:`read_cluster` (read-only, kubeconfig;
  needs ``ferry[gateway]``).
"""

from ferry.gateway._audit import Audit, AuditEntry, IngressAudit, build_audit, render_html, render_markdown
from ferry.gateway._catalogue import (
    ANNOTATIONS,
    CATALOGUE,
    DEFAULT_ANNOTATION_PREFIX,
    AnnotationSpec,
    Risk,
    ValueKind,
    lookup_annotation,
)
from ferry.gateway._cluster import read_cluster
from ferry.gateway._convert import (
    DIFFERENCE_ANNOTATION,
    Channel,
    Conversion,
    ConvertOptions,
    Outcome,
    Ownership,
    Status,
    Target,
    convert,
    services_from,
)
from ferry.gateway._errors import ClusterReadError, IngressInputError, SchemaValidationError
from ferry.gateway._ingress import (
    CLASS_ANNOTATION,
    DEFAULT_CONTROLLER,
    AnnotationValue,
    AnnotationValueError,
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
    ingress_nginx_order,
    parse_controller_config,
    parse_duration,
    parse_ingress,
    parse_ingress_class,
    parse_size,
    parse_stream_services,
    read_ingress_input,
    typed_value,
)
from ferry.gateway._parity import PARITY, Parity, ParityEntry, parity_for
from ferry.gateway._report import conversion_files, conversion_report, yaml_stream
from ferry.gateway._sources import load_objects

__all__ = [
    "ANNOTATIONS",
    "CATALOGUE",
    "CLASS_ANNOTATION",
    "DEFAULT_ANNOTATION_PREFIX",
    "DEFAULT_CONTROLLER",
    "DIFFERENCE_ANNOTATION",
    "PARITY",
    "AnnotationSpec",
    "AnnotationValue",
    "AnnotationValueError",
    "Audit",
    "AuditEntry",
    "Channel",
    "ClassSource",
    "ClusterReadError",
    "ControllerConfig",
    "Conversion",
    "ConvertOptions",
    "Ingress",
    "IngressAudit",
    "IngressBackend",
    "IngressClass",
    "IngressInput",
    "IngressInputError",
    "IngressPath",
    "IngressProblem",
    "IngressRule",
    "IngressTLS",
    "Outcome",
    "Ownership",
    "Parity",
    "ParityEntry",
    "PathType",
    "ResourceBackend",
    "Risk",
    "SchemaValidationError",
    "ServiceBackend",
    "Status",
    "StreamService",
    "Target",
    "ValueKind",
    "build_audit",
    "conversion_files",
    "conversion_report",
    "convert",
    "ingress_nginx_order",
    "load_objects",
    "lookup_annotation",
    "parity_for",
    "parse_controller_config",
    "parse_duration",
    "parse_ingress",
    "parse_ingress_class",
    "parse_size",
    "parse_stream_services",
    "read_cluster",
    "read_ingress_input",
    "render_html",
    "render_markdown",
    "services_from",
    "typed_value",
    "yaml_stream",
]
