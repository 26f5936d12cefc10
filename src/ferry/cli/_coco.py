"""``ferry coco``: Confidential Containers at admission — initdata, sealed secrets, agent and KBS policies, the
admission webhook and the Kyverno / CEL export."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from ferry.cli._output import console, emit_json, format_option
from ferry.errors import FindingsError, InputError, UsageError

__all__ = ["coco"]

_PROFILE = click.option(
    "--profile", "profile_file", default=None, metavar="FILE", help="CoCo profile YAML (default: built-in profile)."
)


def _read(path: str, what: str) -> bytes:
    from ferry.coco._io import read_bytes

    if path == "-":
        return sys.stdin.buffer.read()
    return read_bytes(path, what)


def _write(path: str | None, text: str) -> None:
    if path is None or path == "-":
        sys.stdout.write(text)
        return
    from ferry._kernel import atomic_write_text

    atomic_write_text(Path(path), text)


def _pod_from(path: str) -> Mapping[str, Any]:
    from ferry._kernel import parse_manifests
    from ferry.coco import pod_template

    text = _read(path, "pod manifest").decode("utf-8", errors="replace")
    for obj in parse_manifests(text, path):
        template = pod_template(obj.body)
        if template is not None:
            return template
    raise InputError("no Pod or pod template (Deployment, StatefulSet, Job...) in the file", where=path)


def _esc(text: Any) -> str:
    """Text shown through rich, with brackets (``[kbc]``, ``[data]``) kept literally."""
    from rich.markup import escape

    return escape(str(text))


def _violations_table(violations: list[Any], title: str) -> None:
    from rich.table import Table

    table = Table(title=_esc(title), show_lines=False)
    for col in ("rule", "verdict", "message", "field"):
        table.add_column(col)
    for v in violations:
        style = "red" if v.denies else "yellow"
        table.add_row(v.rule, f"[{style}]{v.severity}[/]", _esc(v.message), _esc(v.field or ""))
    console().print(table)


@click.group()
def coco() -> None:
    """Confidential Containers: initdata, sealed secrets, agent and KBS policies, admission webhook, export."""


# initdata ----------------------------------------------------------------------------------------------------
@coco.group()
def initdata() -> None:
    """Build, inspect and digest initdata (base64 of gzip of TOML, as Kata >= 3.20 reads it)."""


@initdata.command("build")
@_PROFILE
@click.option("--pod", "pod_file", default=None, metavar="FILE", help="Generate the agent policy for this pod.")
@click.option("--policy", "policy_file", default=None, metavar="FILE", help="Use this policy.rego instead.")
@click.option("--aa-toml", "aa_file", default=None, metavar="FILE", help="Use this aa.toml, not the profile's.")
@click.option("--cdh-toml", "cdh_file", default=None, metavar="FILE", help="Use this cdh.toml, not the profile's.")
@click.option("--encode", is_flag=True, help="Print the annotation value instead of the TOML.")
@click.option("--output", "-o", default=None, metavar="FILE", help="Write here instead of stdout.")
@format_option()
def initdata_build(
    profile_file: str | None,
    pod_file: str | None,
    policy_file: str | None,
    aa_file: str | None,
    cdh_file: str | None,
    encode: bool,
    output: str | None,
    output_format: str,
) -> None:
    """Build initdata from the profile: aa.toml, cdh.toml and a kata-agent policy (each replaceable by a file)."""
    from ferry.coco import build_initdata, digest_report, encode_annotation, generate_agent_policy, load_profile

    if pod_file and policy_file:
        raise UsageError("give --pod or --policy, not both")
    profile = load_profile(profile_file)
    policy = None
    if policy_file:
        policy = _read(policy_file, "policy.rego").decode("utf-8")
    elif pod_file:
        policy = generate_agent_policy(_pod_from(pod_file), profile.agent_policy)
    aa = _read(aa_file, "aa.toml").decode("utf-8") if aa_file else None
    cdh = _read(cdh_file, "cdh.toml").decode("utf-8") if cdh_file else None
    document = build_initdata(profile, policy, aa_toml=aa, cdh_toml=cdh)
    annotation = encode_annotation(document)
    if output_format == "json":
        emit_json(
            {
                "toml": document.decode(),
                "annotation": annotation,
                "annotation_key": "io.katacontainers.config.hypervisor.cc_init_data",
                **digest_report(document, profile.algorithm),
            }
        )
        return
    _write(output, annotation + "\n" if encode else document.decode())


@initdata.command("inspect")
@click.argument("source")
@_PROFILE
@format_option()
def initdata_inspect(source: str, profile_file: str | None, output_format: str) -> None:
    """Decode and judge initdata (a TOML file, an annotation value file, or - for stdin). Exit 1 on a deny."""
    from ferry.coco import (
        InitdataError,
        Violation,
        check_agent_policy,
        check_guest_config,
        digest_report,
        load_profile,
        parse_initdata,
        read_initdata_input,
    )

    profile = load_profile(profile_file)
    raw = _read(source, "initdata")
    try:
        document, form = read_initdata_input(raw)
        doc = parse_initdata(document)
    except InitdataError as exc:
        raise InitdataError(exc.message, where=source, hint=exc.hint) from exc
    violations: list[Violation] = list(check_guest_config(doc.data, profile))
    if "policy.rego" in doc.data:
        violations += check_agent_policy(doc.data["policy.rego"], profile.agent_policy)
    else:
        violations.append(Violation("D5", "warn", "no policy.rego: the kata-agent runs its built-in default policy"))
    data_sizes = {k: {"bytes": len(v.encode())} for k, v in sorted(doc.data.items())}
    digest = digest_report(document, doc.algorithm)
    report = {
        "source": source,
        "form": form,
        "version": doc.version,
        "algorithm": doc.algorithm,
        "bytes": len(document),
        "data": data_sizes,
        "digest": digest,
        "violations": [v.to_dict() for v in violations],
    }
    if output_format == "json":
        emit_json(report)
    else:
        out = console()
        out.print(f"[bold]{_esc(source)}[/] ({form}): version {doc.version}, {doc.algorithm}, {len(document)} bytes")
        for key, info in data_sizes.items():
            out.print(_esc(f"  data[{key!r}]: {info['bytes']} bytes"))
        out.print(f"  digest {digest['digest']}")
        if violations:
            _violations_table(violations, "initdata findings")
        else:
            out.print("[green]no findings[/]")
    if any(v.denies for v in violations):
        raise FindingsError(f"{sum(v.denies for v in violations)} deny finding(s) in {source}")


@initdata.command("digest")
@click.argument("source")
@click.option(
    "--algorithm",
    type=click.Choice(["sha256", "sha384", "sha512"]),
    default=None,
    help="Hash (default: the document's own algorithm).",
)
@format_option()
def initdata_digest_cmd(source: str, algorithm: str | None, output_format: str) -> None:
    """The digest of the exact TOML bytes and the reference value per TEE (SNP, TDX, CCA, vTPM PCR8)."""
    import tomllib

    from ferry.coco import InitdataError, digest_report, read_initdata_input

    raw = _read(source, "initdata")
    try:
        document, _ = read_initdata_input(raw)
    except InitdataError as exc:
        raise InitdataError(exc.message, where=source, hint=exc.hint) from exc
    if algorithm is None:
        try:
            found = tomllib.loads(document.decode("utf-8")).get("algorithm")
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            found = None
        algorithm = found if found in ("sha256", "sha384", "sha512") else "sha384"
    report = digest_report(document, algorithm)
    if output_format == "json":
        emit_json(report)
        return
    out = console()
    out.print(f"{report['algorithm']}  {report['digest']}")
    for tee, value in report["tee"].items():
        out.print(f"  {tee:<5} {value}")


# sealed secrets ----------------------------------------------------------------------------------------------
@coco.group()
def seal() -> None:
    """Create CoCo sealed secrets: ES256 JWS with a kid behind a sealed prefix; never prints secret material."""


@seal.command("keygen")
@click.option("--kid", required=True, help="Key id, usually a KBS URI (kbs:///default/keys/sealing).")
@click.option("--output-dir", required=True, metavar="DIR")
@format_option()
def seal_keygen(kid: str, output_dir: str, output_format: str) -> None:
    """Generate a P-256 signing key: <name>-private.json (mode 0600) and <name>-public.json."""
    import os

    from ferry._kernel import atomic_write_text
    from ferry.coco import generate_signing_key, private_jwk, public_jwk

    key = generate_signing_key()
    name = kid.rstrip("/").rsplit("/", 1)[-1] or "sealing"
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out / f"{name}-private.json", out / f"{name}-public.json"
    atomic_write_text(private_path, json.dumps(private_jwk(key, kid)) + "\n")
    os.chmod(private_path, 0o600)
    atomic_write_text(public_path, json.dumps(public_jwk(key, kid)) + "\n")
    result = {"kid": kid, "private_key": str(private_path), "public_key": str(public_path)}
    if output_format == "json":
        emit_json(result)
    else:
        console().print(_esc(f"wrote {public_path} (upload to the KBS) and {private_path} (keep it secret)"))


def _signing_key(path: str) -> Any:
    from ferry.coco import SealedSecretError, load_jwk

    try:
        jwk = json.loads(_read(path, "signing key"))
    except json.JSONDecodeError as exc:
        raise SealedSecretError("the signing key is not a JSON Web Key", where=path) from exc
    if "d" not in jwk:
        raise SealedSecretError("the signing key has no private part (d)", where=path)
    return load_jwk(jwk)


def _report_sealed(value: str, output_format: str, output: str | None) -> None:
    from ferry.coco import inspect_sealed

    if output:
        _write(output, value + "\n")
    if output_format == "json":
        emit_json({"sealed": value, **inspect_sealed(value).to_dict()})
    elif not output:
        sys.stdout.write(value + "\n")


@seal.command("vault")
@click.option("--resource-uri", required=True, help="kbs:///repository/type/tag of the secret in the KBS.")
@click.option("--key", "key_file", required=True, metavar="JWK", help="Private signing JWK (seal keygen).")
@click.option("--kid", default=None, help="Key id (default: the JWK's kid).")
@click.option("--provider", default="kbs", show_default=True)
@click.option("--output", "-o", default=None, metavar="FILE")
@format_option()
def seal_vault_cmd(
    resource_uri: str, key_file: str, kid: str | None, provider: str, output: str | None, output_format: str
) -> None:
    """A vault sealed secret: a signed reference the data hub resolves from the KBS after attestation."""
    from ferry.coco import seal_vault

    key = _signing_key(key_file)
    kid = kid or json.loads(_read(key_file, "signing key")).get("kid")
    if not kid:
        raise UsageError("the key has no kid; pass --kid")
    _report_sealed(seal_vault(resource_uri, key, kid, provider=provider), output_format, output)


@seal.command("envelope")
@click.option("--provider", required=True, help="KMS provider (aliyun, ehsm, ...).")
@click.option("--key-id", required=True, help="The KMS key that wrapped the data key.")
@click.option("--encrypted-key-file", required=True, metavar="FILE", help="Wrapped data key (binary).")
@click.option("--encrypted-data-file", required=True, metavar="FILE", help="AES-256-GCM ciphertext (binary).")
@click.option("--iv-file", required=True, metavar="FILE", help="GCM nonce (binary).")
@click.option("--key", "key_file", required=True, metavar="JWK")
@click.option("--kid", default=None)
@click.option("--output", "-o", default=None, metavar="FILE")
@format_option()
def seal_envelope_cmd(
    provider: str,
    key_id: str,
    encrypted_key_file: str,
    encrypted_data_file: str,
    iv_file: str,
    key_file: str,
    kid: str | None,
    output: str | None,
    output_format: str,
) -> None:
    """An envelope sealed secret from already-encrypted parts (ferry never sees the plaintext)."""
    from ferry.coco import seal_envelope

    key = _signing_key(key_file)
    kid = kid or json.loads(_read(key_file, "signing key")).get("kid")
    if not kid:
        raise UsageError("the key has no kid; pass --kid")
    value = seal_envelope(
        provider=provider,
        key_id=key_id,
        encrypted_key=_read(encrypted_key_file, "encrypted key"),
        encrypted_data=_read(encrypted_data_file, "encrypted data"),
        iv=_read(iv_file, "iv"),
        key=key,
        kid=kid,
    )
    _report_sealed(value, output_format, output)


@coco.command("inspect")
@click.argument("source")
@click.option("--public-key", default=None, metavar="JWK", help="Verify the signature with this public JWK.")
@format_option()
def inspect_cmd(source: str, public_key: str | None, output_format: str) -> None:
    """Inspect a sealed secret (a file, - for stdin, or the value itself); wrapped keys and data are redacted."""
    from ferry.coco import inspect_sealed, verify_sealed

    value = source if source.startswith("sealed.") else _read(source, "sealed secret").decode("ascii", "replace")
    key = json.loads(_read(public_key, "public key")) if public_key else None
    sealed = verify_sealed(value, key) if key is not None else inspect_sealed(value)
    report = {**sealed.to_dict(), "verified": bool(public_key)}
    if output_format == "json":
        emit_json(report)
        return
    out = console()
    out.print(f"sealed secret, type [bold]{_esc(sealed.type)}[/], kid {_esc(sealed.kid)}, alg ES256")
    for k, v in sealed.payload.items():
        if k not in ("version", "type"):
            out.print(_esc(f"  {k}: {json.dumps(v)}"))
    out.print("[green]signature verified[/]" if public_key else "signature not verified (pass --public-key)")


# agent policy ------------------------------------------------------------------------------------------------
@coco.group()
def policy() -> None:
    """Generate and check kata-agent policies (evaluated with regorus)."""


@policy.command("generate")
@click.argument("pod_file", metavar="POD")
@_PROFILE
@click.option("--output", "-o", default=None, metavar="FILE")
def policy_generate(pod_file: str, profile_file: str | None, output: str | None) -> None:
    """A restrictive agent policy for the pod: its images, commands, env and mounts; exec and logs per profile."""
    from ferry.coco import generate_agent_policy, load_profile

    profile = load_profile(profile_file)
    _write(output, generate_agent_policy(_pod_from(pod_file), profile.agent_policy))


@policy.command("check")
@click.argument("source")
@_PROFILE
@format_option()
def policy_check(source: str, profile_file: str | None, output_format: str) -> None:
    """Check a policy.rego (or the one inside initdata) against the profile. Exit 1 on a deny."""
    from ferry.coco import check_agent_policy, load_profile, parse_initdata, read_initdata_input, rego_engine_name

    profile = load_profile(profile_file)
    raw = _read(source, "policy")
    text = raw.decode("utf-8", errors="replace")
    if not text.lstrip().startswith(("package", "#")) and ("[data]" in text or text.strip().startswith("H4sI")):
        document, _ = read_initdata_input(raw)
        data = parse_initdata(document).data
        if "policy.rego" not in data:
            raise InputError("the initdata has no policy.rego", where=source)
        text = data["policy.rego"]
    violations = check_agent_policy(text, profile.agent_policy)
    if output_format == "json":
        emit_json({"source": source, "engine": rego_engine_name(), "violations": [v.to_dict() for v in violations]})
    elif violations:
        _violations_table(violations, f"{source} (evaluated with {rego_engine_name()})")
    else:
        console().print(f"[green]{_esc(source)}: restrictive[/] (evaluated with {_esc(rego_engine_name())})")
    if any(v.denies for v in violations):
        raise FindingsError(f"{sum(v.denies for v in violations)} deny finding(s) in {source}")


# KBS ---------------------------------------------------------------------------------------------------------
@coco.command("kbs-policy")
@click.argument("source", metavar="INITDATA")
@click.option("--resource", "resources", multiple=True, required=True, help="kbs:///repo/type/tag to release.")
@click.option("--tee", type=click.Choice(["snp", "tdx", "cca", "vtpm"]), default=None, help="Default: profile's.")
@click.option(
    "--pin-images", is_flag=True, help="Also pin the agent-policy claims to the pod's images (profile: kbs.pinImages)."
)
@_PROFILE
@click.option("--output", "-o", default=None, metavar="FILE")
@format_option()
def kbs_policy(
    source: str,
    resources: tuple[str, ...],
    tee: str | None,
    pin_images: bool,
    profile_file: str | None,
    output: str | None,
    output_format: str,
) -> None:
    """The KBS resource policy releasing these resources only to a TEE attesting this initdata, and the
    reference values to register."""
    from ferry.coco import (
        kbs_resource_policy,
        load_profile,
        parse_initdata,
        policy_images,
        read_initdata_input,
        reference_values,
    )

    profile = load_profile(profile_file)
    document, _ = read_initdata_input(_read(source, "initdata"))
    doc = parse_initdata(document)
    tee = tee or profile.tee
    if tee not in ("snp", "tdx", "cca", "vtpm"):
        raise UsageError(f"the profile's TEE {tee!r} has no initdata field to pin; pass --tee")
    images: list[str] = []
    if (pin_images or profile.kbs_pin_images) and "policy.rego" in doc.data:
        images = policy_images(doc.data["policy.rego"])
    rego = kbs_resource_policy(digest=doc.digest, tee=tee, resources=resources, images=images)
    refs = reference_values(doc.digest, doc.algorithm, tee)
    if output_format == "json":
        emit_json({"policy": rego, "reference_values": refs})
        return
    _write(output, rego)
    if output:
        console(stderr=True).print(
            f"wrote {output}; reference value ({tee}): {refs['values'][tee if tee != 'vtpm' else 'pcr8']['hex']}"
        )


# validate ----------------------------------------------------------------------------------------------------
@coco.command("validate")
@click.argument("manifest")
@_PROFILE
@click.option("--confidential-namespace", is_flag=True, help="Treat the namespace as confidential.")
@format_option()
def validate_cmd(manifest: str, profile_file: str | None, confidential_namespace: bool, output_format: str) -> None:
    """Apply D1–D9 to the pods and pod templates of a manifest file. Exit 1 on a deny."""
    from ferry._kernel import parse_manifests
    from ferry.coco import PodContext, evaluate_pod, load_profile, pod_template

    profile = load_profile(profile_file)
    results = []
    for obj in parse_manifests(_read(manifest, "manifest").decode("utf-8", "replace"), manifest):
        template = pod_template(obj.body)
        if template is None:
            continue
        ctx = PodContext(namespace=obj.namespace, namespace_demands_coco=confidential_namespace)
        result = evaluate_pod(template, profile, ctx)
        results.append((obj, result))
    if output_format == "json":
        emit_json(
            [
                {
                    "object": obj.ref,
                    "in_scope": r.in_scope,
                    "reason": r.reason,
                    "allowed": not r.denied,
                    "digest": r.digest,
                    "violations": [v.to_dict() for v in r.violations],
                }
                for obj, r in results
            ]
        )
    else:
        for obj, r in results:
            verdict = "[red]denied[/]" if r.denied else "[green]allowed[/]"
            console().print(f"{_esc(obj.ref)}: {verdict} ({_esc(r.reason)})")
            if r.violations:
                _violations_table(list(r.violations), obj.ref)
    denied = sum(1 for _, r in results if r.denied)
    if denied:
        raise FindingsError(f"{denied} object(s) would be rejected")


@coco.command("mutate")
@click.argument("manifest")
@_PROFILE
@click.option("--confidential-namespace", is_flag=True, help="Treat the namespace as confidential.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["yaml", "json", "patch"]),
    default="yaml",
    show_default=True,
    help="The patched Pods as YAML or JSON, or each Pod's JSON Patch.",
)
def mutate_cmd(manifest: str, profile_file: str | None, confidential_namespace: bool, output_format: str) -> None:
    """Show what /mutate would do to the Pods of a manifest (CREATE): the patched Pods or the JSON Patches."""
    from ferry._kernel import dump_yaml, parse_manifests
    from ferry.coco import PodContext, apply_patch, load_profile, mutate_pod

    profile = load_profile(profile_file)
    pods, patches = [], []
    for obj in parse_manifests(_read(manifest, "manifest").decode("utf-8", "replace"), manifest):
        if obj.kind != "Pod":
            continue
        ctx = PodContext(namespace=obj.namespace, namespace_demands_coco=confidential_namespace)
        mutation = mutate_pod(obj.body, profile, ctx)
        patches.append({"object": obj.ref, "injected": list(mutation.injected), "patch": mutation.patch})
        pods.append(apply_patch(obj.body, mutation.patch))
    if output_format == "patch":
        emit_json(patches)
    elif output_format == "json":
        emit_json(pods)
    else:
        sys.stdout.write(dump_yaml(pods, documents=True))


# export ------------------------------------------------------------------------------------------------------
@coco.command("export")
@click.option(
    "--target",
    type=click.Choice(["kyverno", "kyverno-cel", "kubernetes", "all"]),
    default="all",
    show_default=True,
)
@_PROFILE
@click.option("--initdata", "initdata_file", default=None, metavar="FILE", help="Initdata to inject (TOML/annotation).")
@click.option(
    "--pod", "pod_file", default=None, metavar="FILE", help="Build the injected initdata's policy for this pod."
)
@click.option("--output-dir", "-o", default=None, metavar="DIR", help="Write one YAML file per target here.")
@format_option()
def export_cmd(
    target: str,
    profile_file: str | None,
    initdata_file: str | None,
    pod_file: str | None,
    output_dir: str | None,
    output_format: str,
) -> None:
    """The rules as Kyverno ClusterPolicy (< 1.18), Kyverno CEL policies (1.18+) and core admission policies."""
    from ferry._kernel import atomic_write_text, dump_yaml
    from ferry.coco import (
        EXPORT_TARGETS,
        build_initdata,
        encode_annotation,
        export_policies,
        generate_agent_policy,
        load_profile,
        read_initdata_input,
    )

    profile = load_profile(profile_file)
    if initdata_file:
        document, _ = read_initdata_input(_read(initdata_file, "initdata"))
    else:
        policy_text = generate_agent_policy(_pod_from(pod_file), profile.agent_policy) if pod_file else None
        document = build_initdata(profile, policy_text)
    annotation = encode_annotation(document)
    targets = EXPORT_TARGETS if target == "all" else (target,)
    results = [export_policies(profile, t, annotation) for t in targets]
    if output_dir:
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        for r in results:
            atomic_write_text(out / f"coco-{r.target}.yaml", dump_yaml(r.objects, documents=True))
    if output_format == "json":
        emit_json([r.to_dict() for r in results])
        return
    if not output_dir:
        sys.stdout.write(dump_yaml([o for r in results for o in r.objects], documents=True))
    err = console(stderr=True)
    for r in results:
        missing = r.inexpressible
        err.print(
            f"[bold]{r.target}[/]: {len(r.objects)} object(s); not fully expressible: {', '.join(missing) or 'none'}"
        )
        for rule, why in missing.items():
            err.print(_esc(f"  {rule}: {why}"))


# webhook -----------------------------------------------------------------------------------------------------
@coco.group()
def webhook() -> None:
    """The HTTPS admission webhook: serve it, render its manifests, issue its certificates."""


@webhook.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8443, show_default=True, type=int)
@click.option("--cert", "cert_file", required=True, metavar="PEM", help="Serving certificate (chain).")
@click.option("--key", "key_file", required=True, metavar="PEM", help="Serving key.")
@click.option("--profile", "profile_file", required=True, metavar="FILE", help="CoCo profile YAML (with a KBS).")
@click.option("--watch/--no-watch", default=True, show_default=True, help="Hot-reload certificate and profile.")
@click.option("--watch-interval", default=1.0, show_default=True, type=float, help="Seconds between file checks.")
def webhook_serve(
    host: str,
    port: int,
    cert_file: str,
    key_file: str,
    profile_file: str,
    watch: bool,
    watch_interval: float,
) -> None:
    """Serve /mutate, /validate (and their /namespace variants), /healthz, /readyz and /metrics over HTTPS."""
    import asyncio

    from ferry.coco import WebhookServer, WebhookSettings

    settings = WebhookSettings(host, port, cert_file, key_file, profile_file, watch, watch_interval)
    server = WebhookServer(settings)

    def ready(s: WebhookServer) -> None:
        sys.stderr.write(f"ferry coco webhook listening on https://{host}:{s.port} (profile {s.profile.name})\n")
        sys.stderr.flush()

    asyncio.run(server.serve_forever(ready))


@webhook.command("manifests")
@click.option("--ca-file", required=True, metavar="PEM", help="CA that signed the serving certificate (caBundle).")
@_PROFILE
@click.option("--namespace", default="coco-system", show_default=True)
@click.option("--image", required=True, help="An image with ferry and its coco extra installed.")
@click.option("--replicas", default=2, show_default=True, type=int)
@click.option("--failure-policy", type=click.Choice(["Fail", "Ignore"]), default="Fail", show_default=True)
@click.option("--timeout-seconds", default=5, show_default=True, type=click.IntRange(1, 30))
@click.option("--output", "-o", default=None, metavar="FILE")
def webhook_manifests(
    ca_file: str,
    profile_file: str | None,
    namespace: str,
    image: str,
    replicas: int,
    failure_policy: str,
    timeout_seconds: int,
    output: str | None,
) -> None:
    """Deployment, Service, profile ConfigMap, Mutating- and ValidatingWebhookConfiguration."""
    from ferry._kernel import dump_yaml
    from ferry.coco import WebhookDeployment, load_profile, render_webhook_manifests

    ca = _read(ca_file, "CA certificate")
    if b"-----BEGIN CERTIFICATE-----" not in ca:
        raise InputError("not a PEM certificate", where=ca_file)
    deployment = WebhookDeployment(
        namespace=namespace,
        image=image,
        replicas=replicas,
        failure_policy=failure_policy,
        timeout_seconds=timeout_seconds,
    )
    objects = render_webhook_manifests(load_profile(profile_file), ca, deployment)
    _write(output, dump_yaml(objects, documents=True))


@webhook.command("certs")
@click.option("--output-dir", required=True, metavar="DIR")
@click.option("--service", default="ferry-coco-webhook", show_default=True)
@click.option("--namespace", default="coco-system", show_default=True)
@click.option("--extra-name", "extra_names", multiple=True, help="Additional DNS name or IP address.")
@click.option("--days", default=365, show_default=True, type=int)
@format_option()
def webhook_certs(
    output_dir: str, service: str, namespace: str, extra_names: tuple[str, ...], days: int, output_format: str
) -> None:
    """A CA and a serving certificate for the webhook Service (ca.crt, tls.crt, tls.key)."""
    import os

    from ferry._kernel import atomic_write_bytes
    from ferry.coco import issue_webhook_certificates

    certs = issue_webhook_certificates(service, namespace, extra_names=extra_names, days=days)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / "ca.crt", certs.ca_pem)
    atomic_write_bytes(out / "tls.crt", certs.cert_pem)
    atomic_write_bytes(out / "tls.key", certs.key_pem)
    os.chmod(out / "tls.key", 0o600)
    files = {name: str(out / name) for name in ("ca.crt", "tls.crt", "tls.key")}
    if output_format == "json":
        emit_json(files)
    else:
        console().print(f"wrote {', '.join(files.values())} for {service}.{namespace}.svc")
