"""The config section of ``ferry assess``: configuration that never hot-reloads, and Secrets in environment
variables (pure: the estate in, a section out)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ferry._kernel import Artifact, Chart, Estate, Finding, KubeObject, Section, Severity, SourceRef, dump_yaml
from ferry.config._workloads import POD_SPEC_PATHS, Use, uses

__all__ = ["assess"]

_NEVER_RELOAD = frozenset(
    {"config.configmap-env", "config.configmap-envfrom", "config.configmap-subpath", "config.secret-subpath"}
)
_ENV_HINT = (
    "mount the ConfigMap as a volume (no subPath) and read the files with a watching reader, e.g. "
    "ferry.config.Directory(path, watch=True); or, if a restart is wanted, roll the workload on change with a "
    "checksum/config annotation on the pod template"
)
_SUBPATH_HINT = (
    "mount the whole ConfigMap at a directory without subPath (kubelet swaps ..data atomically on every update) "
    "and point the application at the file inside it"
)
_SECRET_ENV_HINT = (
    "mount the Secret as a volume with defaultMode 0400 and read it from the file: environment variables are "
    "inherited by child processes, readable from /proc/<pid>/environ, often logged in crash dumps, and never rotate"
)


def _where(obj: KubeObject, path: tuple[str | int, ...]) -> SourceRef:
    return SourceRef(obj.source.path, obj.source.document, obj.line_of(*path), obj.source.item)


def _owned(obj: KubeObject) -> bool:
    refs = obj.metadata.get("ownerReferences")
    return isinstance(refs, list) and any(isinstance(r, Mapping) and r.get("controller") for r in refs)


def _template_annotations(obj: KubeObject) -> Mapping[str, Any]:
    path = POD_SPEC_PATHS[obj.kind][:-1]
    node: Any = obj.body
    for step in (*path, "metadata", "annotations"):
        node = node.get(step) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


@dataclass
class _Fix:
    """What to change in one workload: volumes to add and, per container, mounts to add and uses to drop."""

    obj: KubeObject
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # per container, keyed by (containers | initContainers, name)
    mounts: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    drop_env: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    drop_env_from: set[tuple[str, str]] = field(default_factory=set)
    drop_mounts: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, use: Use) -> str:
        """Record the fix for ``use``; returns where the data will be mounted."""
        secret = use.source_kind == "Secret"
        volume = f"{use.source_name}-{'secret' if secret else 'config'}"[:63]
        mount = f"/etc/{'secrets' if secret else 'config'}/{use.source_name}"
        if secret:
            self.volumes[volume] = {"name": volume, "secret": {"secretName": use.source_name, "defaultMode": 0o400}}
        else:
            self.volumes[volume] = {"name": volume, "configMap": {"name": use.source_name}}
        who = (use.container_list, use.container)
        mounts = self.mounts[who]
        if not any(m["name"] == volume for m in mounts):
            mounts.append({"name": volume, "mountPath": mount, "readOnly": True})
        if use.how == "env" and use.env_name:
            self.drop_env[who].append(use.env_name)
        elif use.how == "envFrom":
            self.drop_env_from.add(who)
        elif use.how == "subPath" and use.mount_path:
            self.drop_mounts[who].append(use.mount_path)
        return mount

    def patch(self) -> dict[str, Any]:
        body: dict[str, Any] = {"volumes": sorted(self.volumes.values(), key=lambda v: v["name"])}
        for who in sorted({*self.mounts, *self.drop_env, *self.drop_env_from, *self.drop_mounts}):
            container: dict[str, Any] = {"name": who[1]}
            mounts = list(self.mounts.get(who, []))
            mounts += [{"mountPath": p, "$patch": "delete"} for p in self.drop_mounts.get(who, [])]
            if mounts:
                container["volumeMounts"] = mounts
            if self.drop_env.get(who):
                container["env"] = [{"name": e, "$patch": "delete"} for e in sorted(set(self.drop_env[who]))]
            if who in self.drop_env_from:
                container["envFrom"] = None  # envFrom has no merge key: null removes the list
            body.setdefault(who[0], []).append(container)
        for step in reversed(POD_SPEC_PATHS[self.obj.kind]):
            body = {step: body}
        return body

    def document(self) -> str:
        obj = self.obj
        ns = obj.namespace or "default"
        apply = (
            f"#   kubectl -n {ns} patch {obj.kind.lower()} {obj.name} --type strategic --patch-file <this document>"
            if obj.kind != "Pod"
            else "#   a Pod's spec is immutable: change its manifest and recreate it"
        )
        header = [
            f"# {obj.ref} ({obj.source.path}:{obj.source.line})",
            "# Mounts its ConfigMaps/Secrets as directories that kubelet keeps current, and drops the env and subPath",
            "# uses (defaultMode 256 is 0400). Apply once the application reads its settings from the mounted files:",
            apply,
        ]
        return "\n".join(header) + "\n" + dump_yaml(self.patch())


def _listed(items: list[str]) -> str:
    return ", ".join(items[:6]) + (f" and {len(items) - 6} more" if len(items) > 6 else "")


def _message(group: list[Use], keys: list[str]) -> tuple[str, str, Severity, str]:
    """(code, message, severity, hint) for one group of uses (one container, one ConfigMap/Secret, one way)."""
    use = group[0]
    what = f"{use.source_kind} {use.source_name}"
    listed = ("key " if len(keys) == 1 else "keys ") + _listed(keys)
    if use.source_kind == "Secret" and use.how in ("env", "envFrom"):
        detail = f"{listed} as environment variables" if use.how == "env" else "every key (envFrom)"
        return (
            "config.secret-env",
            f"container {use.container} gets {what}: {detail}",
            Severity.ERROR,
            _SECRET_ENV_HINT,
        )
    if use.how == "subPath":
        code = "config.secret-subpath" if use.source_kind == "Secret" else "config.configmap-subpath"
        return (
            code,
            f"container {use.container} mounts {what} {'item' if len(keys) == 1 else 'items'} {_listed(keys)} at "
            f"{_listed([u.mount_path or '' for u in group])} with subPath: "
            + ("it never updates" if len(group) == 1 else "they never update")
            + " (a bind mount of one file; kubelet's ..data swap does not reach it)",
            Severity.WARNING,
            _SUBPATH_HINT,
        )
    detail = f"{listed} into environment variables" if use.how == "env" else "every key through envFrom"
    code = "config.configmap-env" if use.how == "env" else "config.configmap-envfrom"
    return (
        code,
        f"container {use.container} reads {what}: {detail}; a change reaches it only when the Pod restarts",
        Severity.WARNING,
        _ENV_HINT,
    )


def _index(objects: Iterable[KubeObject], kind: str) -> dict[tuple[str, str], KubeObject]:
    return {(o.namespace or "default", o.name): o for o in objects if o.kind == kind and o.group == ""}


def assess(estate: Estate) -> Section:
    """Workloads whose configuration never hot-reloads (ConfigMaps through env, envFrom or subPath), Secrets
    exposed as environment variables, references to ConfigMaps/Secrets the estate lacks, with patches."""
    sources = {"ConfigMap": _index(estate.objects, "ConfigMap"), "Secret": _index(estate.objects, "Secret")}
    known_ns = {kind: {ns for ns, _ in table} for kind, table in sources.items()}
    workloads = [o for o in estate.objects if o.kind in POD_SPEC_PATHS and o.group in ("", "apps", "batch")]
    workloads = [o for o in workloads if not _owned(o)]
    findings: list[Finding] = []
    fixes: dict[str, _Fix] = {}
    per_namespace: Counter[str] = Counter()
    reloadable = 0
    for obj in workloads:
        ns = obj.namespace or "default"
        rolled = any(str(k).startswith("checksum/") for k in _template_annotations(obj))
        groups: dict[tuple[str, str, str, str], list[Use]] = defaultdict(list)
        for use in uses(obj):
            table = sources[use.source_kind]
            if (ns, use.source_name) not in table and ns in known_ns[use.source_kind] and not use.optional:
                findings.append(
                    Finding(
                        "config.missing-reference",
                        Severity.ERROR,
                        f"container {use.container} uses {use.source_kind} {use.source_name}, which is not in "
                        f"namespace {ns} of this estate: the Pod will not start (CreateContainerConfigError)",
                        obj=obj.ref,
                        source=_where(obj, use.path),
                        hint=f"create {use.source_kind} {ns}/{use.source_name}, fix the name, or mark it optional",
                        details={"kind": use.source_kind, "name": use.source_name, "container": use.container},
                    )
                )
            if use.how == "volume":
                source = table.get((ns, use.source_name))
                if use.source_kind == "ConfigMap":
                    reloadable += 1
                if source is not None and source.body.get("immutable") is True:
                    findings.append(
                        Finding(
                            "config.immutable-volume",
                            Severity.INFO,
                            f"container {use.container} mounts immutable {use.source_kind} {use.source_name}: "
                            "its content can never change in place",
                            obj=obj.ref,
                            source=_where(obj, use.path),
                            hint="to change it, create a new object with a new name and roll the workload",
                        )
                    )
                continue
            groups[(use.container, use.source_kind, use.source_name, use.how)].append(use)
        for (_container, _kind, _name, _how), group in sorted(groups.items()):
            first = group[0]
            keys = [u.key or u.env_name or "" for u in group if (u.key or u.env_name)]
            code, message, severity, hint = _message(group, keys)
            if rolled and severity is Severity.WARNING and first.how in ("env", "envFrom"):
                severity = Severity.INFO
                message += " (a checksum/ annotation on the pod template restarts it on change)"
            fix = fixes.setdefault(obj.ref, _Fix(obj))
            mounted = [fix.add(u) for u in group]
            findings.append(
                Finding(
                    code,
                    severity,
                    message,
                    obj=obj.ref,
                    source=_where(obj, first.path),
                    hint=f"{hint} (suggested mount: {mounted[0]}; see config-reload-patches.yaml)",
                    details={
                        "kind": first.source_kind,
                        "name": first.source_name,
                        "container": first.container,
                        "how": first.how,
                        "keys": keys,
                        "mount_path": first.mount_path,
                    },
                )
            )
            per_namespace[ns] += 1
    artifacts = []
    if fixes:
        artifacts.append(
            Artifact(
                "config-reload-patches.yaml",
                "application/yaml",
                "---\n".join(fix.document() for fix in fixes.values()),
                "Strategic-merge patches that mount ConfigMaps and Secrets as directories (hot-reloadable) instead "
                "of environment variables and subPath mounts",
            )
        )
    never = len({f.obj for f in findings if f.code in _NEVER_RELOAD})
    secret_env = len({f.obj for f in findings if f.code == "config.secret-env"})
    summary = (
        f"{never} of {len(workloads)} workloads read configuration that never hot-reloads; "
        f"{secret_env} expose Secrets as environment variables."
        if workloads
        else "No workloads in the estate."
    )
    return Section(
        system="config",
        summary=summary,
        findings=findings,
        artifacts=artifacts,
        metrics={
            "workloads": len(workloads),
            "never_reload": never,
            "secret_env": secret_env,
            "hot_reloadable_mounts": reloadable,
            "missing_references": sum(1 for f in findings if f.code == "config.missing-reference"),
        },
        charts=(
            [
                Chart(
                    "configuration uses that need a restart, by namespace",
                    sorted(per_namespace),
                    [per_namespace[n] for n in sorted(per_namespace)],
                )
            ]
            if per_namespace
            else []
        ),
    )
