"""Route 53 change batches and the rules a weighted record group must keep (pure).

A batch has the ``ChangeResourceRecordSets`` shape (``{"Comment", "Changes": [{"Action", "ResourceRecordSet"}]}``),
ready for ``aws route53 change-resource-record-sets --change-batch file://…``. Route 53 applies a batch atomically,
so a plan moves the simple record to the weighted pair in one batch and changes both weights in one batch.

The rules (Route 53 developer guide, "Weighted routing" and the ResourceRecordSet API reference): records of a group
share name and type, each has a unique SetIdentifier and a Weight from 0 to 255, all carry the same TTL, a group has
at most 100 records and cannot be mixed with a simple record of the same name and type. Route 53 answers a group
whose weights are all 0 with every record at equal probability; ferry refuses that state because it sends half the
traffic to a side the plan meant to empty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ferry.gateway._cutover._model import Endpoint

__all__ = [
    "MAX_WEIGHT",
    "ZoneState",
    "change",
    "change_batch",
    "check_batch",
    "check_records",
    "fqdn",
    "record_set",
]

MAX_WEIGHT = 255
_MAX_GROUP = 100
_ACTIONS = ("CREATE", "DELETE", "UPSERT")
Key = tuple[str, str, str | None]


def fqdn(host: str) -> str:
    """The name as Route 53 returns it: lower case, with the trailing dot."""
    return host.lower().rstrip(".") + "."


def record_set(host: str, endpoint: Endpoint, *, weight: int | None, ttl: int) -> dict[str, Any]:
    """The ResourceRecordSet of ``endpoint`` for ``host``; weighted when ``weight`` is given, simple otherwise."""
    target = endpoint.target
    record: dict[str, Any] = {"Name": fqdn(host), "Type": target.record_type}
    if weight is not None:
        record["SetIdentifier"] = endpoint.set_identifier
        record["Weight"] = weight
    if target.alias_zone:
        record["AliasTarget"] = {
            "HostedZoneId": target.alias_zone,
            "DNSName": fqdn(target.value),
            "EvaluateTargetHealth": True,
        }
    else:
        record["TTL"] = ttl
        record["ResourceRecords"] = [{"Value": target.value}]
    if weight is not None and endpoint.health_check_id:
        record["HealthCheckId"] = endpoint.health_check_id
    return record


def change(action: str, record: Mapping[str, Any]) -> dict[str, Any]:
    return {"Action": action, "ResourceRecordSet": dict(record)}


def change_batch(comment: str, changes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"Comment": comment, "Changes": [dict(c) for c in changes]}


def _key(record: Mapping[str, Any]) -> Key:
    set_id = record.get("SetIdentifier")
    return (
        str(record.get("Name", "")).lower(),
        str(record.get("Type", "")),
        str(set_id) if set_id is not None else None,
    )


def _label(name: str, rtype: str) -> str:
    return f"{name.rstrip('.')} {rtype}"


def check_records(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """Why a set of records (a zone, or the records one batch writes) breaks the weighted-group rules; [] when safe."""
    reasons: list[str] = []
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    types_at: dict[str, set[str]] = defaultdict(set)
    for record in records:
        name, rtype, _ = _key(record)
        groups[(name, rtype)].append(record)
        types_at[name].add(rtype)
    for name, types in sorted(types_at.items()):
        if "CNAME" in types and len(types) > 1:
            others = ", ".join(sorted(types - {"CNAME"}))
            reasons.append(f"{name.rstrip('.')}: a CNAME cannot share its name with {others} records")
    for (name, rtype), group in sorted(groups.items()):
        reasons.extend(_check_group(_label(name, rtype), group))
    return reasons


def _check_group(label: str, group: Sequence[Mapping[str, Any]]) -> list[str]:
    weighted = [r for r in group if "Weight" in r or "SetIdentifier" in r]
    if not weighted:
        return [f"{label}: {len(group)} simple records with one name and type"] if len(group) > 1 else []
    reasons: list[str] = []
    if len(weighted) != len(group):
        reasons.append(f"{label}: a simple record and weighted records cannot share a name and type")
    ids = [r.get("SetIdentifier") for r in weighted]
    missing = sum(1 for i in ids if i is None or (isinstance(i, str) and not i.strip()))
    if missing:
        reasons.append(f"{label}: {missing} weighted record(s) without a SetIdentifier")
    seen: set[str] = set()
    for set_id in ids:
        if isinstance(set_id, str) and set_id.strip():
            if set_id in seen:
                reasons.append(f"{label}: duplicate SetIdentifier '{set_id}'")
            seen.add(set_id)
    weights: list[int] = []
    for record in weighted:
        weight = record.get("Weight")
        who = f"{label} '{record.get('SetIdentifier')}'"
        if weight is None:
            reasons.append(f"{who}: weighted record without a Weight")
        elif isinstance(weight, bool) or not isinstance(weight, int):
            reasons.append(f"{who}: Weight {weight!r} is not an integer")
        elif not 0 <= weight <= MAX_WEIGHT:
            reasons.append(f"{who}: Weight {weight} is outside 0-{MAX_WEIGHT}")
        else:
            weights.append(weight)
    if len(weighted) > _MAX_GROUP:
        reasons.append(f"{label}: {len(weighted)} weighted records, over Route 53's {_MAX_GROUP} per name and type")
    ttls = sorted({r["TTL"] for r in weighted if "AliasTarget" not in r and "TTL" in r}, key=str)
    if len(ttls) > 1:
        reasons.append(f"{label}: the weighted records have differing TTLs ({', '.join(map(str, ttls))})")
    if weights and len(weights) == len(weighted) and not any(weights):
        reasons.append(
            f"{label}: every weight is 0, so Route 53 answers all records at equal probability "
            "(keep at least one weight above 0)"
        )
    return reasons


def check_batch(batch: Mapping[str, Any]) -> list[str]:
    """Why one change batch is malformed or writes an unsafe group; [] when it is safe on its own."""
    changes = batch.get("Changes")
    if not isinstance(changes, list) or not changes:
        return ["the batch has no 'Changes' list"]
    reasons: list[str] = []
    written: list[Mapping[str, Any]] = []
    for i, item in enumerate(changes):
        if not isinstance(item, Mapping):
            reasons.append(f"change {i} is not an object")
            continue
        action = item.get("Action")
        record = item.get("ResourceRecordSet")
        if action not in _ACTIONS:
            reasons.append(f"change {i}: Action {action!r} is not one of {', '.join(_ACTIONS)}")
        if not isinstance(record, Mapping) or not record.get("Name") or not record.get("Type"):
            reasons.append(f"change {i}: ResourceRecordSet needs a Name and a Type")
            continue
        if action in ("CREATE", "UPSERT"):
            written.append(record)
    return reasons + check_records(written)


class ZoneState:
    """A hosted zone as a plan changes it: applies batches with Route 53's CREATE / DELETE / UPSERT semantics."""

    def __init__(self, records: Iterable[Mapping[str, Any]] = ()) -> None:
        self.records: dict[Key, dict[str, Any]] = {_key(r): dict(r) for r in records}

    def apply(self, batch: Mapping[str, Any]) -> list[str]:
        """Apply ``batch`` all or nothing; returns why Route 53 would reject it, or why the result is unsafe."""
        reasons = check_batch(batch)
        if reasons:
            return reasons
        staged = dict(self.records)
        for item in batch["Changes"]:
            record = dict(item["ResourceRecordSet"])
            key = _key(record)
            shown = _label(key[0], key[1]) + (f" '{key[2]}'" if key[2] else "")
            action = item["Action"]
            if action == "CREATE" and key in staged:
                reasons.append(f"CREATE {shown}: the record already exists")
            elif action == "DELETE" and staged.get(key) != record:
                reasons.append(f"DELETE {shown}: no record with exactly these values")
            elif action == "DELETE":
                del staged[key]
            else:
                staged[key] = record
        if reasons:
            return reasons
        reasons = check_records(staged.values())
        if not reasons:
            self.records = staged
        return reasons

    def weights(self, host: str) -> dict[str, int]:
        """SetIdentifier → Weight of the weighted records of ``host``."""
        name = fqdn(host)
        return {
            str(key[2]): int(record["Weight"])
            for key, record in self.records.items()
            if key[0] == name and key[2] is not None
        }
