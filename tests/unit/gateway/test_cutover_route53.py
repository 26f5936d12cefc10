"""Route 53 weighted-group rules and the zone simulation plans are replayed against."""

from __future__ import annotations

from typing import Any

import pytest

from ferry.gateway._cutover import ZoneState, check_batch
from ferry.gateway._cutover._route53 import check_records, fqdn


def rec(
    set_id: str | None,
    weight: Any = None,
    ttl: int = 60,
    *,
    name: str = "shop.example.com.",
    rtype: str = "A",
    value: str = "192.0.2.1",
) -> dict[str, Any]:
    record: dict[str, Any] = {"Name": name, "Type": rtype, "TTL": ttl, "ResourceRecords": [{"Value": value}]}
    if set_id is not None:
        record["SetIdentifier"] = set_id
    if weight is not None:
        record["Weight"] = weight
    return record


def test_a_valid_weighted_pair_passes() -> None:
    assert check_records([rec("nginx", 255), rec("envoy", 0, value="192.0.2.2")]) == []


@pytest.mark.parametrize("weight", [256, -1, 1000])
def test_weights_outside_0_255_are_refused(weight: int) -> None:
    reasons = check_records([rec("nginx", weight), rec("envoy", 1)])
    assert any(f"Weight {weight} is outside 0-255" in r for r in reasons)


@pytest.mark.parametrize("weight", ["10", 1.5, True])
def test_non_integer_weights_are_refused(weight: Any) -> None:
    reasons = check_records([rec("nginx", weight), rec("envoy", 1)])
    assert any("is not an integer" in r for r in reasons)


def test_missing_set_identifier_is_refused() -> None:
    reasons = check_records([rec(None, 10), rec("envoy", 1)])
    assert any("without a SetIdentifier" in r for r in reasons)


def test_blank_set_identifier_counts_as_missing() -> None:
    reasons = check_records([rec("  ", 10), rec("envoy", 1)])
    assert any("1 weighted record(s) without a SetIdentifier" in r for r in reasons)


def test_duplicate_set_identifier_is_refused() -> None:
    reasons = check_records([rec("nginx", 10), rec("nginx", 1, value="192.0.2.9")])
    assert reasons == ["shop.example.com A: duplicate SetIdentifier 'nginx'"]


def test_differing_ttls_are_refused() -> None:
    reasons = check_records([rec("nginx", 10, ttl=60), rec("envoy", 1, ttl=300)])
    assert reasons == ["shop.example.com A: the weighted records have differing TTLs (300, 60)"] or reasons == [
        "shop.example.com A: the weighted records have differing TTLs (60, 300)"
    ]


def test_alias_records_carry_no_ttl_and_do_not_count_as_differing() -> None:
    alias = {
        "Name": "shop.example.com.",
        "Type": "A",
        "SetIdentifier": "envoy",
        "Weight": 1,
        "AliasTarget": {"HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": "lb.", "EvaluateTargetHealth": True},
    }
    assert check_records([rec("nginx", 10, ttl=300), alias]) == []


def test_all_zero_weights_are_refused() -> None:
    reasons = check_records([rec("nginx", 0), rec("envoy", 0)])
    assert len(reasons) == 1 and "every weight is 0" in reasons[0]


def test_missing_weight_is_refused() -> None:
    reasons = check_records([rec("nginx"), rec("envoy", 3)])
    assert any("without a Weight" in r for r in reasons)


def test_simple_and_weighted_cannot_share_a_name() -> None:
    reasons = check_records([rec(None), rec("envoy", 3)])
    assert any("simple record and weighted records" in r for r in reasons)


def test_cname_cannot_share_a_name_with_other_types() -> None:
    reasons = check_records([rec("nginx", 3, rtype="CNAME", value="lb.example.net"), rec("envoy", 3)])
    assert any("CNAME cannot share its name with A" in r for r in reasons)


def test_more_than_100_weighted_records_are_refused() -> None:
    records = [rec(f"id{i}", 1, value=f"192.0.2.{i % 250}") for i in range(101)]
    assert any("over Route 53's 100" in r for r in check_records(records))


def test_two_simple_records_of_one_name_are_refused() -> None:
    assert check_records([rec(None), rec(None, value="192.0.2.7")]) == [
        "shop.example.com A: 2 simple records with one name and type"
    ]


def test_check_batch_rejects_malformed_batches() -> None:
    assert check_batch({}) == ["the batch has no 'Changes' list"]
    reasons = check_batch(
        {"Changes": [{"Action": "MOVE", "ResourceRecordSet": rec("a", 1)}, "x", {"Action": "UPSERT"}]}
    )
    assert "change 0: Action 'MOVE' is not one of CREATE, DELETE, UPSERT" in reasons
    assert "change 1 is not an object" in reasons
    assert "change 2: ResourceRecordSet needs a Name and a Type" in reasons


def test_check_batch_ignores_deleted_records_when_judging_the_group() -> None:
    batch = {
        "Changes": [
            {"Action": "DELETE", "ResourceRecordSet": rec(None)},
            {"Action": "CREATE", "ResourceRecordSet": rec("nginx", 255)},
            {"Action": "CREATE", "ResourceRecordSet": rec("envoy", 0, value="192.0.2.2")},
        ]
    }
    assert check_batch(batch) == []


def test_zone_applies_batches_atomically_with_route53_semantics() -> None:
    zone = ZoneState([rec(None)])
    create_twice = {"Changes": [{"Action": "CREATE", "ResourceRecordSet": rec(None)}]}
    assert zone.apply(create_twice) == ["CREATE shop.example.com A: the record already exists"]
    mismatched = {"Changes": [{"Action": "DELETE", "ResourceRecordSet": rec(None, ttl=61)}]}
    assert zone.apply(mismatched) == ["DELETE shop.example.com A: no record with exactly these values"]
    swap = {
        "Changes": [
            {"Action": "DELETE", "ResourceRecordSet": rec(None)},
            {"Action": "CREATE", "ResourceRecordSet": rec("nginx", 255)},
            {"Action": "CREATE", "ResourceRecordSet": rec("envoy", 0, value="192.0.2.2")},
        ]
    }
    assert zone.apply(swap) == []
    assert zone.weights("shop.example.com") == {"nginx": 255, "envoy": 0}
    # A batch leaving every weight at 0 is refused as a whole: nothing changes.
    zero = {"Changes": [{"Action": "UPSERT", "ResourceRecordSet": rec("nginx", 0)}]}
    assert zone.apply(zero) and zone.weights("shop.example.com") == {"nginx": 255, "envoy": 0}


def test_fqdn_normalises_names() -> None:
    assert fqdn("Shop.Example.com") == "shop.example.com."
    assert fqdn("shop.example.com.") == "shop.example.com."
