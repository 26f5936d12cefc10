"""aa.toml and cdh.toml: rendered from a profile, and checked the way the guest components read them (pure, D4)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ferry.coco._initdata import render_initdata, toml_string
from ferry.coco._profile import CocoProfile
from ferry.coco._violation import DENY, WARN, Violation

__all__ = ["CDH_CREDENTIALS_DIR", "build_initdata", "check_guest_config", "render_aa_toml", "render_cdh_toml"]

CDH_CREDENTIALS_DIR = "/run/confidential-containers/cdh/kbs"


def render_aa_toml(profile: CocoProfile) -> str:
    """Attestation Agent config: where the KBS is, and its certificate."""
    lines = ["[token_configs]", "[token_configs.kbs]", f"url = {toml_string(profile.require_kbs())}"]
    if profile.kbs_cert:
        lines.append(f"cert = {toml_string(profile.kbs_cert)}")
    return "\n".join(lines) + "\n"


def render_cdh_toml(profile: CocoProfile) -> str:
    """Confidential Data Hub config: the KBS client, and the image signature policy and registry auth URIs."""
    lines = [
        'socket = "unix:///run/confidential-containers/cdh.sock"',
        "",
        "[kbc]",
        'name = "cc_kbc"',
        f"url = {toml_string(profile.require_kbs())}",
    ]
    if profile.kbs_cert:
        lines.append(f"kbs_cert = {toml_string(profile.kbs_cert)}")
    image: list[str] = []
    if profile.image_policy_uri:
        image.append(f"image_security_policy_uri = {toml_string(profile.image_policy_uri)}")
    if profile.image_policy_inline:
        image.append(f"image_security_policy = {toml_string(profile.image_policy_inline)}")
    if profile.registry_auth_uri:
        image.append(f"authenticated_registry_credentials_uri = {toml_string(profile.registry_auth_uri)}")
    if image:
        lines += ["", "[image]", *image]
    return "\n".join(lines) + "\n"


def build_initdata(
    profile: CocoProfile, policy_rego: str | None, *, aa_toml: str | None = None, cdh_toml: str | None = None
) -> bytes:
    """The initdata TOML: aa.toml and cdh.toml (rendered from the profile unless given) and the kata-agent policy."""
    data = {
        "aa.toml": aa_toml if aa_toml is not None else render_aa_toml(profile),
        "cdh.toml": cdh_toml if cdh_toml is not None else render_cdh_toml(profile),
    }
    if policy_rego is not None:
        data["policy.rego"] = policy_rego
    return render_initdata(data, algorithm=profile.algorithm)


def _load(text: str, name: str, out: list[Violation]) -> Mapping[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        out.append(Violation("D4", DENY, f"{name} in initdata is not valid TOML: {exc}", f"data.{name}"))
        return None


def _kbs_url_issues(url: str, what: str, profile: CocoProfile, out: list[Violation]) -> None:
    parts = urlsplit(url)
    if parts.scheme == "http":
        sev = DENY if profile.production else WARN
        out.append(Violation("D4", sev, f"{what} KBS URL {url} is plain http: secrets and evidence travel unprotected"))
    elif parts.scheme != "https":
        out.append(Violation("D4", DENY, f"{what} KBS URL {url!r} is not an http(s) URL"))
    hosts = profile.kbs_allowed_hosts
    if hosts and parts.hostname not in hosts:
        out.append(Violation("D4", DENY, f"{what} KBS host {parts.hostname} is not in the allowed hosts {list(hosts)}"))


def check_guest_config(data: Mapping[str, str], profile: CocoProfile) -> list[Violation]:
    """D4: the KBS the guest attests to, the data hub's settings and the image signature policy."""
    out: list[Violation] = []
    aa_url = cdh_url = None
    if "aa.toml" not in data:
        out.append(Violation("D4", DENY, "initdata has no aa.toml: the Attestation Agent has no KBS to attest to"))
    else:
        aa = _load(data["aa.toml"], "aa.toml", out)
        if aa is not None:
            kbs = aa.get("token_configs", {}).get("kbs", {}) if isinstance(aa.get("token_configs"), dict) else {}
            aa_url = kbs.get("url") if isinstance(kbs, dict) else None
            if not isinstance(aa_url, str) or not aa_url:
                out.append(Violation("D4", DENY, "aa.toml has no [token_configs.kbs] url", "data.aa.toml"))
                aa_url = None
            else:
                _kbs_url_issues(aa_url, "aa.toml", profile, out)
    if "cdh.toml" not in data:
        out.append(Violation("D4", DENY, "initdata has no cdh.toml: the Confidential Data Hub cannot fetch secrets"))
        return out
    cdh = _load(data["cdh.toml"], "cdh.toml", out)
    if cdh is None:
        return out
    kbc = cdh.get("kbc")
    if not isinstance(kbc, dict) or not kbc.get("name") or not kbc.get("url"):
        out.append(Violation("D4", DENY, "cdh.toml [kbc] needs both name and url", "data.cdh.toml"))
    else:
        cdh_url = str(kbc["url"])
        _kbs_url_issues(cdh_url, "cdh.toml", profile, out)
        if aa_url and cdh_url.rstrip("/") != aa_url.rstrip("/"):
            out.append(Violation("D4", WARN, f"aa.toml attests to {aa_url} but cdh.toml fetches from {cdh_url}"))
    if cdh.get("skip_sealed_secret_verification") is True:
        out.append(
            Violation("D4", DENY, "cdh.toml sets skip_sealed_secret_verification = true: forged secrets are accepted")
        )
    image_table = cdh.get("image")
    image: Mapping[str, Any] = image_table if isinstance(image_table, dict) else {}
    if not image.get("image_security_policy_uri") and not image.get("image_security_policy"):
        sev = DENY if profile.production and profile.image_policy_uri else WARN
        out.append(
            Violation("D4", sev, "cdh.toml has no image_security_policy(_uri): image signatures are not verified")
        )
    creds = cdh.get("credentials", [])
    for i, cred in enumerate(creds if isinstance(creds, list) else []):
        path = str(cred.get("path", "")) if isinstance(cred, dict) else ""
        if not path.startswith(CDH_CREDENTIALS_DIR + "/"):
            out.append(
                Violation(
                    "D4", DENY, f"credential path {path!r} is outside {CDH_CREDENTIALS_DIR}", f"cdh.credentials[{i}]"
                )
            )
    return out
