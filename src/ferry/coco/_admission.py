"""AdmissionReview v1 in, AdmissionReview v1 out (pure: bytes → status and bytes; no sockets here).

Malformed requests — too large, not JSON, not an ``admission.k8s.io/v1`` ``AdmissionReview``, no ``uid`` — are
answered 400 (413 when too large) with a JSON error; anything that parses gets a well-formed review back.
Objects other than pods are allowed untouched. A bug in a rule answers ``allowed: false`` (fail closed), never 500.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ferry.coco._errors import AdmissionRequestError
from ferry.coco._mutate import mutate_pod
from ferry.coco._pods import PodContext, mapping
from ferry.coco._profile import CocoProfile
from ferry.coco._rules import evaluate_pod

__all__ = ["MAX_REVIEW_BYTES", "AdmissionOutcome", "handle_admission", "parse_review"]

MAX_REVIEW_BYTES = 4 * 1024 * 1024
"""Larger bodies are refused with 413 before parsing (the API server's own request limit is 3 MiB)."""

_API_VERSION = "admission.k8s.io/v1"
_MAX_WARNING = 120
_MAX_MESSAGE = 1024


@dataclass(frozen=True)
class AdmissionOutcome:
    """The HTTP answer and what happened, for metrics and logs."""

    status: int
    body: bytes
    decision: str
    rules: tuple[str, ...] = ()
    injected: tuple[str, ...] = ()
    dry_run: bool = False
    uid: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def _error(status: int, message: str) -> AdmissionOutcome:
    body = json.dumps({"error": message, "status": status}).encode()
    return AdmissionOutcome(status, body, "malformed")


def parse_review(body: bytes) -> Mapping[str, Any]:
    """The ``request`` of an AdmissionReview v1, or :class:`AdmissionRequestError`."""
    if len(body) > MAX_REVIEW_BYTES:
        raise AdmissionRequestError(f"request body over {MAX_REVIEW_BYTES} bytes", status=413)
    try:
        review = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise AdmissionRequestError(f"body is not JSON: {str(exc)[:200]}") from exc
    if not isinstance(review, dict):
        raise AdmissionRequestError("body is not a JSON object")
    if review.get("apiVersion") != _API_VERSION or review.get("kind") != "AdmissionReview":
        raise AdmissionRequestError(
            f"expected apiVersion {_API_VERSION} kind AdmissionReview, got "
            f"{str(review.get('apiVersion'))[:64]!r} {str(review.get('kind'))[:64]!r}"
        )
    request = review.get("request")
    if not isinstance(request, dict):
        raise AdmissionRequestError("AdmissionReview has no request object")
    uid = request.get("uid")
    if not isinstance(uid, str) or not uid:
        raise AdmissionRequestError("AdmissionReview request has no uid")
    return request


def _review(response: dict[str, Any]) -> bytes:
    return json.dumps({"apiVersion": _API_VERSION, "kind": "AdmissionReview", "response": response}).encode()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_pod(request: Mapping[str, Any]) -> bool:
    kind = mapping(request.get("kind"))
    resource = mapping(request.get("resource"))
    return (kind.get("group", "") == "" and kind.get("kind") == "Pod") or (
        resource.get("group", "") == "" and resource.get("resource") == "pods"
    )


def handle_admission(
    path: str, body: bytes, profile: CocoProfile, *, namespace_demands_coco: bool = False
) -> AdmissionOutcome:
    """Answer one AdmissionReview for ``/mutate`` or ``/validate``."""
    try:
        request = parse_review(body)
    except AdmissionRequestError as exc:
        return _error(exc.status, exc.message)
    uid = str(request["uid"])
    dry_run = request.get("dryRun") is True
    operation = str(request.get("operation", ""))
    response: dict[str, Any] = {"uid": uid, "allowed": True}
    if not _is_pod(request) or operation not in ("CREATE", "UPDATE"):
        return AdmissionOutcome(200, _review(response), "skipped", dry_run=dry_run, uid=uid)
    pod = request.get("object")
    if not isinstance(pod, dict):
        return _error(400, f"{operation} of a pod without an object")
    old = request.get("oldObject")
    if operation == "UPDATE" and not isinstance(old, dict):
        return _error(400, "UPDATE of a pod without an oldObject")
    ctx = PodContext(
        operation=operation,
        namespace=str(request.get("namespace") or mapping(pod.get("metadata")).get("namespace") or ""),
        namespace_demands_coco=namespace_demands_coco,
        old_pod=old if isinstance(old, dict) else None,
        sub_resource=str(request.get("subResource") or ""),
    )
    try:
        if path == "mutate":
            return _mutate(pod, profile, ctx, response, dry_run, uid)
        return _validate(pod, profile, ctx, response, dry_run, uid)
    except Exception as exc:  # fail closed with a well-formed answer; the metrics count it
        response = {
            "uid": uid,
            "allowed": False,
            "status": {"code": 500, "message": _clip(f"ferry coco {path} failed: {type(exc).__name__}: {exc}", 512)},
        }
        return AdmissionOutcome(200, _review(response), "error", dry_run=dry_run, uid=uid)


def _mutate(
    pod: Mapping[str, Any],
    profile: CocoProfile,
    ctx: PodContext,
    response: dict[str, Any],
    dry_run: bool,
    uid: str,
) -> AdmissionOutcome:
    mutation = mutate_pod(pod, profile, ctx)
    if mutation.patch:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(json.dumps(mutation.patch, separators=(",", ":")).encode()).decode()
    if mutation.digest and mutation.algorithm:
        response["auditAnnotations"] = {f"initdata-{mutation.algorithm}": mutation.digest}
    decision = "patched" if mutation.patch else ("unchanged" if mutation.in_scope else "skipped")
    return AdmissionOutcome(200, _review(response), decision, injected=mutation.injected, dry_run=dry_run, uid=uid)


def _validate(
    pod: Mapping[str, Any],
    profile: CocoProfile,
    ctx: PodContext,
    response: dict[str, Any],
    dry_run: bool,
    uid: str,
) -> AdmissionOutcome:
    result = evaluate_pod(pod, profile, ctx)
    if result.digest and result.algorithm:
        response["auditAnnotations"] = {f"initdata-{result.algorithm}": result.digest}
    if result.warnings:
        response["warnings"] = [_clip(v.text(), _MAX_WARNING) for v in result.warnings][:16]
    rules = tuple(sorted({v.rule for v in result.violations}))
    if result.denied:
        response["allowed"] = False
        message = "confidential pod rejected: " + "; ".join(v.text() for v in result.denies)
        response["status"] = {"code": 403, "reason": "Forbidden", "message": _clip(message, _MAX_MESSAGE)}
        return AdmissionOutcome(200, _review(response), "denied", rules=rules, dry_run=dry_run, uid=uid)
    decision = "warned" if result.warnings else ("allowed" if result.in_scope else "skipped")
    return AdmissionOutcome(200, _review(response), decision, rules=rules, dry_run=dry_run, uid=uid)
