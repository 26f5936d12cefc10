"""The cutover plan: timeline, batches replayed against a simulated zone, annotations, rollback, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferry._kernel import parse_manifests
from ferry.gateway._cutover import (
    EXTERNAL_DNS_PREFIX,
    PROFILES,
    CutoverSpec,
    Endpoint,
    Gates,
    PlanRequest,
    Target,
    UnsafePlanError,
    ZoneState,
    build_plan,
    check_draining,
    draining_settings,
    duration,
    plan_from_objects,
    plan_markdown,
    timeline_svg,
    weights_for_steps,
)
from ferry.gateway._cutover._route53 import record_set
from ferry.gateway._cutover._schedule import parse_weights

HOSTS = ("api.example.com", "shop.example.com")


def spec(**overrides: object) -> CutoverSpec:
    fields: dict[str, object] = {
        "hostnames": HOSTS,
        "zone_id": "Z123",
        "old": Endpoint("old", "ingress-nginx", Target("old-lb.elb.amazonaws.com"), 60),
        "new": Endpoint("new", "envoy-gateway", Target("new-lb.elb.amazonaws.com"), 60),
        "current_ttl": 300,
        "weights": PROFILES["standard"],
    }
    fields.update(overrides)
    return CutoverSpec(**fields)  # type: ignore[arg-type]


def replay(plan_spec: CutoverSpec) -> list[ZoneState]:
    """The zone after each phase, starting from today's simple records."""
    plan = build_plan(plan_spec)
    zone = ZoneState(record_set(h, plan_spec.old, weight=None, ttl=plan_spec.current_ttl) for h in plan_spec.hostnames)
    states = []
    for phase in plan.phases:
        if phase.change_batch is not None:
            assert zone.apply(phase.change_batch) == [], phase.key
        states.append(ZoneState(zone.records.values()))
    return states


def test_timeline_order_and_holds() -> None:
    plan = build_plan(spec())
    assert [p.key for p in plan.phases] == [
        "lower-ttl",
        "create-weighted",
        "shift-1",
        "shift-2",
        "shift-3",
        "shift-4",
        "wait-idle",
        "remove-old",
        "drain-old",
        "decommission",
        "restore-ttl",
    ]
    lower = plan.phase("lower-ttl")
    assert lower.hold_s == 300 + 60  # the old TTL is waited out before any weight changes
    for key in ("create-weighted", "shift-1", "shift-4"):
        assert plan.phase(key).hold_s == max(10 * 60, 300)
    assert plan.phase("wait-idle").hold_s == max(600, 5 * 60 + 30)
    assert plan.phase("remove-old").hold_s == 60 + 30
    starts = [p.start_s for p in plan.phases]
    assert starts == sorted(starts)
    assert all(b.start_s == a.start_s + a.hold_s for a, b in zip(plan.phases, plan.phases[1:], strict=False))
    assert plan.duration_s == plan.phases[-1].start_s


def test_hold_follows_the_gate_window_and_the_requested_hold() -> None:
    assert build_plan(spec(gates=Gates(window_s=900))).phase("shift-1").hold_s == 900
    assert build_plan(spec(hold_s=1800)).phase("shift-1").hold_s == 1800
    assert (
        build_plan(
            spec(
                old=Endpoint("old", "a", Target("o.example.net"), 30),
                new=Endpoint("new", "b", Target("n.example.net"), 30),
                gates=Gates(window_s=60),
            )
        )
        .phase("shift-2")
        .hold_s
        == 300
    )


def test_lower_ttl_and_restore_are_skipped_when_the_ttl_is_already_low() -> None:
    keys = [p.key for p in build_plan(spec(current_ttl=60)).phases]
    assert "lower-ttl" not in keys and "restore-ttl" not in keys
    assert keys[0] == "create-weighted"


def test_batches_replay_cleanly_and_end_with_only_the_new_side() -> None:
    states = replay(spec())
    keys = [p.key for p in build_plan(spec()).phases]
    by_key = dict(zip(keys, states, strict=True))
    assert by_key["create-weighted"].weights("shop.example.com") == {"ingress-nginx": 255, "envoy-gateway": 0}
    assert by_key["shift-2"].weights("api.example.com") == {"ingress-nginx": 192, "envoy-gateway": 64}
    assert by_key["shift-4"].weights("shop.example.com") == {"ingress-nginx": 0, "envoy-gateway": 255}
    final = list(states[-1].records.values())
    assert len(final) == 2 and all(r["SetIdentifier"] == "envoy-gateway" and r["TTL"] == 300 for r in final)
    assert {r["ResourceRecords"][0]["Value"] for r in final} == {"new-lb.elb.amazonaws.com"}


def test_each_batch_is_one_atomic_change_for_all_hostnames() -> None:
    plan = build_plan(spec())
    create = plan.phase("create-weighted").change_batch
    assert create is not None
    actions = [(c["Action"], c["ResourceRecordSet"].get("SetIdentifier")) for c in create["Changes"]]
    assert actions.count(("DELETE", None)) == 2
    assert actions.count(("CREATE", "ingress-nginx")) == 2 and actions.count(("CREATE", "envoy-gateway")) == 2
    shift = plan.phase("shift-1").change_batch
    assert shift is not None and len(shift["Changes"]) == 4
    assert {c["ResourceRecordSet"]["Type"] for c in shift["Changes"]} == {"CNAME"}
    json.dumps(plan.to_dict())  # every batch is JSON as it stands


def test_rollback_from_every_shift_sends_everything_back_to_the_old_side() -> None:
    plan = build_plan(spec())
    states = replay(spec())
    for phase, state in zip(plan.phases, states, strict=True):
        if phase.key.startswith("shift-") or phase.key in ("create-weighted", "wait-idle"):
            assert phase.rollback_batch is not None
            trial = ZoneState(state.records.values())
            assert trial.apply(phase.rollback_batch) == []
            assert trial.weights("shop.example.com") == {"ingress-nginx": 255, "envoy-gateway": 0}
    assert plan.phase("remove-old").rollback_batch is not None
    assert plan.phase("drain-old").rollback_batch is None  # the DNS rollback window closes when nginx drains


def test_annotations_put_weights_on_the_httproute_and_only_target_on_the_gateway() -> None:
    text = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec: {ingressClassName: nginx, rules: [{host: shop.example.com}]}
"""
    request = PlanRequest(old_target="192.0.2.10", new_target="192.0.2.20")
    plan = plan_from_objects(request, parse_manifests(text, "i.yaml"))
    notes = plan.phase("shift-2").annotations
    assert EXTERNAL_DNS_PREFIX == "external-dns.kubernetes.io/"
    assert notes["Ingress shop/web"] == {
        "external-dns.kubernetes.io/set-identifier": "ingress-nginx",
        "external-dns.kubernetes.io/aws-weight": "192",
        "external-dns.kubernetes.io/ttl": "60",
    }
    assert notes["HTTPRoute shop/web-shop-example-com"]["external-dns.kubernetes.io/aws-weight"] == "64"
    # The HTTPRoutes and the Gateway are the ones `ferry gateway convert` makes of the Ingress.
    assert notes["Gateway gateway-system/nginx"] == {"external-dns.kubernetes.io/target": "192.0.2.20"}
    assert not any("alpha" in key for n in notes.values() for key in n)
    assert plan.phase("lower-ttl").annotations == {"Ingress shop/web": {"external-dns.kubernetes.io/ttl": "60"}}
    assert "Ingress shop/web" not in plan.phase("remove-old").annotations
    assert plan.spec.old.target.record_type == "A"


def test_the_conversion_of_the_example_estate_names_every_route(repo: Path) -> None:
    from ferry.gateway._cutover._inputs import read_objects

    objects = read_objects([repo / "examples" / "estate"])
    plan = plan_from_objects(PlanRequest(old_target="192.0.2.10", new_target="192.0.2.20"), objects)
    notes = plan.phase("shift-1").annotations
    routes = {ref for ref in notes if ref.startswith(("HTTPRoute", "GRPCRoute"))}
    assert "HTTPRoute shop/storefront-shop-example-com" in routes
    assert any(ref.startswith("GRPCRoute ") for ref in routes)
    assert "grpc.ml.example.com" in plan.spec.hostnames
    gateways = [ref for ref in notes if ref.startswith("Gateway ")]
    assert len(gateways) == 1
    assert not any("derived" in w for w in plan.warnings)


def test_routes_are_derived_when_the_conversion_has_none() -> None:
    text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: w, namespace: n}\n"
    text += "spec: {tls: [{hosts: [only-tls.example.com]}]}\n"
    plan = plan_from_objects(PlanRequest(old_target="192.0.2.10", new_target="192.0.2.20"), parse_manifests(text, "i"))
    assert "HTTPRoute n/w-only-tls-example-com" in plan.phase("shift-1").annotations
    assert any("derived as <ingress>-<host>" in w for w in plan.warnings)


def test_existing_httproutes_and_gateway_are_used_as_given() -> None:
    text = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: storefront, namespace: shop}
spec: {hostnames: [shop.example.com]}
"""
    plan = plan_from_objects(PlanRequest(old_target="192.0.2.10", new_target="192.0.2.20"), parse_manifests(text, "r"))
    notes = plan.phase("shift-1").annotations
    assert set(notes) == {"HTTPRoute shop/storefront", "Gateway infra/edge"}


def test_health_checks_and_alias_targets() -> None:
    old = Endpoint("old", "ingress-nginx", Target("old.elb.amazonaws.com", "Z35SXDOTRQ7X7K"), 60, "hc-old")
    new = Endpoint("new", "envoy-gateway", Target("new.elb.amazonaws.com", "Z35SXDOTRQ7X7K"), 60, "hc-new")
    plan = build_plan(spec(old=old, new=new))
    assert "lower-ttl" not in [p.key for p in plan.phases]  # alias records have no TTL of their own
    records = [c["ResourceRecordSet"] for c in plan.phase("shift-1").change_batch["Changes"]]  # type: ignore[index]
    assert all("TTL" not in r and r["AliasTarget"]["EvaluateTargetHealth"] for r in records)
    assert {r["HealthCheckId"] for r in records} == {"hc-old", "hc-new"}
    assert not any("health check" in w for w in plan.warnings)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"weights": ((256, 1), (0, 255))}, "step 1: old weight 256 is outside 0-255"),
        ({"weights": ((200, -1), (0, 255))}, "step 1: new weight -1 is outside 0-255"),
        ({"weights": ((0, 0), (0, 255))}, "step 1: every weight is 0"),
        ({"weights": ((128, 128),)}, "leaves traffic on the old side"),
        ({"weights": ()}, "no shift steps"),
        ({"new": Endpoint("new", "ingress-nginx", Target("n.example.net"), 60)}, "both sides use the set-identifier"),
        ({"old": Endpoint("old", "", Target("o.example.net"), 60)}, "the old side has no set-identifier"),
        ({"new": Endpoint("new", "envoy", Target("n.example.net"), 120)}, "differing TTLs in the weighted group"),
        ({"hostnames": ()}, "no hostnames to move"),
        ({"current_ttl": 0}, "current TTL must be positive"),
        (
            {"new": Endpoint("new", "envoy", Target("n.example.net"), 0), "old": Endpoint("old", "x", Target("o"), 0)},
            "TTL must be positive",
        ),
        ({"longest_request_s": 0}, "longest request must be positive"),
    ],
)
def test_unsafe_plans_are_refused_with_the_reason(overrides: dict[str, object], reason: str) -> None:
    with pytest.raises(UnsafePlanError) as info:
        build_plan(spec(**overrides))
    assert any(reason in r for r in info.value.reasons), info.value.reasons
    assert info.value.exit_code == 2


def test_all_reasons_are_reported_at_once() -> None:
    with pytest.raises(UnsafePlanError) as info:
        build_plan(spec(weights=((300, 0), (0, 0)), new=Endpoint("new", "ingress-nginx", Target("n"), 30)))
    assert len(info.value.reasons) >= 4
    assert "4 problems" in str(info.value) or "5 problems" in str(info.value)


def test_cname_old_side_and_alias_new_side_cannot_be_one_group() -> None:
    new = Endpoint("new", "envoy-gateway", Target("new.elb.amazonaws.com", "Z35SXDOTRQ7X7K"), 60)
    with pytest.raises(UnsafePlanError) as info:
        build_plan(spec(new=new))
    assert any("CNAME cannot share its name with A" in r for r in info.value.reasons)


def test_requests_longer_than_any_load_balancer_drain_are_refused() -> None:
    with pytest.raises(UnsafePlanError) as info:
        build_plan(spec(longest_request_s=4000))
    assert any("deregistration delay" in r for r in info.value.reasons)


def test_draining_settings_cover_the_longest_request_on_both_sides() -> None:
    for longest in (1, 60, 600, 3000):
        settings_ = draining_settings(longest)
        assert check_draining(settings_) == []
        envoy, nginx = settings_["envoy"], settings_["nginx"]
        assert envoy["drain_timeout_s"] >= longest and envoy["termination_grace_period_s"] > envoy["drain_timeout_s"]
        assert nginx["worker_shutdown_timeout_s"] >= longest
        assert settings_["load_balancer"]["deregistration_delay_s"] >= longest
    default = draining_settings(60)
    assert default["envoy"]["manifest"]["spec"]["shutdown"] == {"drainTimeout": "70s", "minDrainDuration": "10s"}
    assert default["nginx"]["helm_values"]["controller"]["lifecycle"]["preStop"]["exec"]["command"] == [
        "/wait-shutdown"
    ]
    broken = draining_settings(60)
    broken["envoy"]["termination_grace_period_s"] = 50
    broken["nginx"]["worker_shutdown_timeout_s"] = 10
    reasons = check_draining(broken)
    assert any("terminationGracePeriodSeconds must exceed drainTimeout" in r for r in reasons)
    assert any("worker-shutdown-timeout 10 s is shorter" in r for r in reasons)


def test_weights_for_steps_grow_and_end_on_the_new_side() -> None:
    for steps in range(1, 21):
        weights = weights_for_steps(steps)
        assert len(weights) == steps and weights[-1] == (0, 255)
        news = [n for _, n in weights]
        assert news == sorted(set(news)) and all(o + n == 255 for o, n in weights)
    with pytest.raises(UnsafePlanError):
        weights_for_steps(0)
    with pytest.raises(UnsafePlanError):
        weights_for_steps(21)


def test_parse_weights() -> None:
    assert parse_weights("242:13, 0:255") == ((242, 13), (0, 255))
    with pytest.raises(UnsafePlanError, match="not OLD:NEW"):
        parse_weights("242-13")
    with pytest.raises(UnsafePlanError, match="not an integer"):
        parse_weights("a:1")


def test_profiles_are_all_safe_and_cautious_is_the_reference_schedule() -> None:
    assert PROFILES["cautious"][0] == (254, 1) and PROFILES["cautious"][-1] == (0, 255)
    for weights in PROFILES.values():
        build_plan(spec(weights=weights))


def test_warnings() -> None:
    plan = build_plan(
        spec(
            weights=((128, 128), (192, 64), (0, 255)),
            old=Endpoint("old", "a", Target("o.x"), 120),
            new=Endpoint("new", "b", Target("n.x"), 120),
        )
    )
    text = " ".join(plan.warnings)
    assert "goes down between steps" in text and "TTL of 120 s" in text and "health check" in text


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)), min_size=0, max_size=6),
    st.integers(1, 600),
    st.integers(1, 86400),
)
def test_any_accepted_plan_replays_cleanly(steps: list[tuple[int, int]], ttl: int, current: int) -> None:
    weights = (*[(o, n) for o, n in steps if o or n], (0, 255))
    plan_spec = spec(
        weights=weights,
        old=Endpoint("old", "a", Target("192.0.2.1"), ttl),
        new=Endpoint("new", "b", Target("192.0.2.2"), ttl),
        current_ttl=current,
    )
    states = replay(plan_spec)
    for state in states:
        for host in HOSTS:
            weights_now = state.weights(host)
            assert not weights_now or any(weights_now.values())


@settings(max_examples=40, deadline=None)
@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_any_weight_outside_the_range_is_refused(old: int, new: int) -> None:
    bad = not (0 <= old <= 255 and 0 <= new <= 255) or (old == 0 and new == 0)
    try:
        build_plan(spec(weights=((old, new), (0, 255))))
    except UnsafePlanError:
        assert bad
    else:
        assert not bad


def test_markdown_runbook_and_svg_chart() -> None:
    plan = build_plan(spec())
    text = plan_markdown(plan)
    assert text.startswith("# Weighted-DNS cutover plan")
    assert "--hosted-zone-id Z123 --change-batch file://03-shift-1.json" in text
    assert text.count("```json") >= 10 and "## Draining" in text and "/wait-shutdown" in text
    svg = timeline_svg(plan)
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg")
    assert len(root.findall("{http://www.w3.org/2000/svg}polyline")) == 2
    assert "shift-4" in svg and "11 phases" in svg


def test_duration() -> None:
    assert duration(0) == "0 s"
    assert duration(90) == "1 min 30 s"
    assert duration(5400) == "1 h 30 min"


def test_warnings_for_big_batches_and_mixed_alias_ttls() -> None:
    many = tuple(f"h{i}.example.com" for i in range(400))
    plan = build_plan(spec(hostnames=many))
    assert any("over Route 53's 1000 per request" in w for w in plan.warnings)
    alias_new = Endpoint("new", "envoy-gateway", Target("new.elb.amazonaws.com", "Z35SXDOTRQ7X7K"), 60)
    old_a = Endpoint("old", "ingress-nginx", Target("192.0.2.1"), 30)
    mixed = build_plan(spec(old=old_a, new=alias_new, current_ttl=30))
    assert any("give the old side's record 60 s too (it has 30 s)" in w for w in mixed.warnings)
