"""Chunk plans cover every byte exactly once; retries back off; byte quantities and cron schedules parse."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferry.cache import CronSchedule, RetryPolicy, plan_chunks
from ferry.cache._units import format_bytes, parse_quantity

MiB = 1024 * 1024


@settings(deadline=None)  # tens of thousands of chunks: timing depends on how busy the machine is, never the result
@given(
    st.integers(0, 5 * 2**30), st.one_of(st.none(), st.integers(1, 64)), st.one_of(st.none(), st.integers(2**16, 2**26))
)
def test_chunks_tile_the_file(size: int, concurrency: int | None, chunk: int | None) -> None:
    plan = plan_chunks(size, concurrency=concurrency, chunk_size=chunk)
    assert plan.concurrency >= 1
    if size == 0:
        assert plan.count == 0
        return
    bounds = [plan.bounds(i) for i in range(plan.count)]
    assert bounds[0][0] == 0 and bounds[-1][1] == size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    assert all(e > s for s, e in bounds)
    assert plan.concurrency <= plan.count


@settings(deadline=None)
@given(st.integers(1, 10**6), st.integers(1, 2**20).map(lambda c: max(c, 1024)), st.data())
def test_covering_is_exactly_the_chunks_that_hold_the_range(size: int, chunk: int, data: st.DataObject) -> None:
    plan = plan_chunks(size, chunk_size=chunk)
    if data.draw(st.booleans()):  # a plan with small head chunks
        plan = type(plan)(size, chunk, plan.concurrency, ramp=max(1, chunk // 4))
    start = data.draw(st.integers(0, size - 1))
    end = data.draw(st.integers(start + 1, size))
    chunks = plan.covering(start, end)
    for i in range(plan.count):
        s, e = plan.bounds(i)
        assert (i in chunks) == (s < end and e > start)


def test_adaptive_defaults() -> None:
    big = plan_chunks(2**30 + 4096)
    assert (big.chunk_size, big.concurrency, big.ramp) == (16 * MiB, 16, 512 * 1024)
    sizes = [e - s for s, e in (big.bounds(i) for i in range(big.count))]
    # The head ramps up from 512 KiB: the first 16 MiB come as 32 ranges, so 16 connections share them.
    assert sizes[:32] == [512 * 1024] * 32 and big.index_of(16 * MiB) == 32
    assert (
        max(sizes) == 16 * MiB and sizes == sorted(sizes[: sizes.index(max(sizes))]) + sizes[sizes.index(max(sizes)) :]
    )
    assert sizes[-1] >= 512 * 1024 and sizes[-2] == 512 * 1024  # the tail shrinks again, without a sliver
    assert 150 < big.count < 250
    assert list(big.covering(0, 16 * MiB + 1)) == list(range(33))
    assert plan_chunks(2**30, chunk_size=16 * MiB).ramp == 0  # an explicit chunk size is taken as given
    assert plan_chunks(2**30, chunk_size=16 * MiB).count == 64
    small = plan_chunks(6 * MiB)
    assert small.chunk_size == MiB and small.concurrency == 6 and small.ramp == 0
    assert plan_chunks(100).count == 1
    assert plan_chunks(2**30, concurrency=4).chunk_size == 16 * MiB
    with pytest.raises(ValueError):
        plan_chunks(-1)


def test_retry_backoff() -> None:
    policy = RetryPolicy(attempts=6, base=0.2, cap=1.0)
    assert [policy.delay(n) for n in range(1, 7)] == [0.0, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert RetryPolicy.retryable_status(503) and RetryPolicy.retryable_status(429)
    assert not RetryPolicy.retryable_status(404)


@pytest.mark.parametrize(
    ("text", "value"),
    [("16Mi", 16 * MiB), ("1.5Gi", 3 * 2**29), ("1G", 10**9), (42, 42), ("100", 100), ("2GiB", 2 * 2**30)],
)
def test_quantities(text: str | int, value: int) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("bad", ["lots", "-1", "1Qi", True, -5])
def test_bad_quantities(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_quantity(bad)  # type: ignore[arg-type]


def test_format_bytes() -> None:
    assert format_bytes(0) == "0B"
    assert format_bytes(1536) == "1.50KiB"
    assert format_bytes(566.22 * MiB) == "566.22MiB"


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        ("0 3 * * *", datetime(2026, 11, 28, 5, 0), datetime(2026, 11, 29, 3, 0)),
        ("*/15 * * * *", datetime(2026, 11, 28, 5, 7), datetime(2026, 11, 28, 5, 15)),
        ("30 2 1 * *", datetime(2026, 11, 28, 5, 0), datetime(2026, 12, 1, 2, 30)),
        ("0 0 * * 0", datetime(2026, 11, 28, 5, 0), datetime(2026, 11, 29, 0, 0)),  # the 29th is a Sunday
        ("0 0 * * 7", datetime(2026, 11, 28, 5, 0), datetime(2026, 11, 29, 0, 0)),
        ("0 12 1-7 * 1", datetime(2026, 11, 28, 5, 0), datetime(2026, 11, 30, 12, 0)),  # day OR weekday
        ("0 0 29 2 *", datetime(2026, 3, 1), datetime(2028, 2, 29, 0, 0)),
    ],
)
def test_cron_next(schedule: str, after: datetime, expected: datetime) -> None:
    assert CronSchedule.parse(schedule).next_after(after) == expected


@pytest.mark.parametrize("bad", ["* * *", "61 * * * *", "a * * * *", "*/0 * * * *", "5-1 * * * *"])
def test_cron_errors(bad: str) -> None:
    with pytest.raises(ValueError, match="cron"):
        CronSchedule.parse(bad)
