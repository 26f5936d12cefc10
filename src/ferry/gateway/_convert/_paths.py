"""ingress-nginx path semantics → Gateway API path matches and rewrites (pure).

The rules (reference §3.1–3.2):

* A host is in *regex mode* when any Ingress on it sets ``use-regex`` or a ``rewrite-target`` different from its
  path; then every path of that host, whatever its pathType, is a case-insensitive regex anchored at the start
  (``~* "^<path>"``). Envoy's RE2 ``safe_regex`` is a full match, so the path becomes ``(?i)<path>.*``. nginx tries
  regexes longest first; Envoy Gateway sorts regex matches by their length too.
* ``Exact`` → ``Exact``. ``Prefix`` → ``PathPrefix`` (ingress-nginx's ``/foo/`` prefix + ``= /foo`` exact pair is
  exactly Gateway API's element-wise prefix).
* ``ImplementationSpecific`` without regex mode is a plain string prefix (``/foo`` matches ``/foobar``); kept as
  the regex ``<escaped path>.*`` — except ``/`` and paths ending in ``/``, where PathPrefix already agrees.
* ``rewrite-target`` replaces the whole URI. Without ``$n`` captures it is ``URLRewrite ReplaceFullPath``; with
  captures it needs a regex rewrite (Envoy Gateway HTTPRouteFilter ``ReplaceRegexMatch``), whose pattern consumes
  the whole path so that the substitution replaces all of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ferry.gateway._ingress import Ingress, IngressPath, PathType

__all__ = ["PathMatch", "RegexRewrite", "host_regex_mode", "path_match", "pcre_only", "regex_rewrite"]

_CAPTURE = re.compile(r"\$(\d+|\{\d+\})")
_PCRE_ONLY = re.compile(r"\(\?[=!<]|\(\?<[=!]|\\[1-9]|\(\?>|\*\+|\+\+|\?\+|\\[zZ]\b|\(\?P?<[a-zA-Z]")


@dataclass(frozen=True)
class PathMatch:
    """A Gateway API path match and what differs from nginx (empty when exact)."""

    type: str  # Exact | PathPrefix | RegularExpression
    value: str
    difference: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "value": self.value}


@dataclass(frozen=True)
class RegexRewrite:
    pattern: str
    substitution: str


def rewrites_path(ingress: Ingress, path: str) -> bool:
    target = ingress.annotation("rewrite-target")
    return target is not None and target.valid and target.raw != path


def host_regex_mode(ingresses: list[Ingress], host: str) -> bool:
    """Whether ingress-nginx writes every location of ``host`` as a regex (canary Ingresses do not count)."""
    for ingress in ingresses:
        if ingress.is_canary:
            continue
        for rule in ingress.rules:
            if rule.host != host:
                continue
            if ingress.flag("use-regex"):
                return True
            if any(rewrites_path(ingress, p.path) for p in rule.paths):
                return True
    return False


def pcre_only(pattern: str) -> bool:
    """True when the pattern uses PCRE features RE2 (Envoy) lacks: lookaround, backreferences, atomic groups."""
    return bool(_PCRE_ONLY.search(pattern))


def path_match(path: IngressPath, regex_mode: bool) -> PathMatch:
    """The Gateway API match ingress-nginx's location for ``path`` corresponds to."""
    value = path.path
    if regex_mode:
        difference = ""
        if pcre_only(value):
            difference = f"path regex {value!r} uses PCRE features RE2 lacks; rewrite it by hand"
        if path.path_type is PathType.EXACT:
            difference = difference or (
                f"Exact path {value!r} is a case-insensitive prefix regex in nginx because its host is in regex mode"
            )
        return PathMatch("RegularExpression", f"(?i){value}.*", difference)
    if path.path_type is PathType.EXACT:
        return PathMatch("Exact", value)
    if path.path_type is PathType.PREFIX:
        if value != "/" and value.endswith("/"):
            return PathMatch(
                "PathPrefix",
                value.rstrip("/") or "/",
                f"Prefix {value!r}: nginx answers {value.rstrip('/')!r} with a 301 to the slash form; "
                "Gateway API serves it directly",
            )
        return PathMatch("PathPrefix", value)
    if value == "/" or value.endswith("/"):
        return PathMatch("PathPrefix", value.rstrip("/") or "/")
    return PathMatch(
        "RegularExpression",
        re.escape(value) + ".*",
        "",
    )


def has_captures(target: str) -> bool:
    return bool(_CAPTURE.search(target))


def regex_rewrite(path: str, target: str) -> RegexRewrite:
    """nginx ``rewrite "(?i)<path>" <target> break`` as an Envoy regex rewrite that replaces the whole path."""
    substitution = _CAPTURE.sub(lambda m: "\\" + m.group(1).strip("{}"), target)
    if substitution.endswith("?"):
        substitution = substitution[:-1]
    return RegexRewrite(pattern=f"(?i)^{path}.*$", substitution=substitution)
