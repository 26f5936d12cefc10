"""Checklist 40-45: watching keys and snapshots."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading

import pytest

from ferry.config import Defaults, MutableInMemory, Reader, Snapshot


def test_c40_watch_yields_the_current_value_then_typed_changes_only() -> None:
    source = MutableInMemory({"port": 80, "debug": False, "ratio": 0.5, "tags": ["a"]})
    reader = Reader([source])
    ports, flags = reader.watch("port", int), reader.watch("debug", bool)
    ratios, tags = reader.watch("ratio", float), reader.watch("tags", list[str])
    assert (next(ports), next(flags), next(ratios), next(tags)) == (80, False, 0.5, ["a"])
    source.update({"port": 81, "debug": True, "ratio": 0.75, "tags": ["a", "b"]})
    assert (next(ports), next(flags), next(ratios), next(tags)) == (81, True, 0.75, ["a", "b"])
    source.set("port", "81")  # a different raw value, the same typed value: no emission
    with pytest.raises(TimeoutError):
        ports.next(timeout=0.05)
    source.set("other", 1)  # another key changed
    with pytest.raises(TimeoutError):
        flags.next(timeout=0.05)
    for w in (ports, flags, ratios, tags):
        w.close()


def test_c41_a_masked_change_in_a_lower_layer_emits_nothing() -> None:
    high, low = MutableInMemory({"level": "info"}, name="high"), MutableInMemory({"level": "debug"}, name="low")
    watch = Reader([high, low]).watch("level")
    assert next(watch) == "info"
    low.set("level", "error")
    with pytest.raises(TimeoutError):
        watch.next(timeout=0.05)
    watch.close()


def test_c42_a_higher_layer_that_newly_masks_emits_the_new_value() -> None:
    high, low = MutableInMemory({}, name="high"), MutableInMemory({"level": "debug"}, name="low")
    watch = Reader([high, low]).watch("level")
    assert next(watch) == "debug"
    high.set("level", "warning")
    assert watch.next(timeout=1) == "warning"
    high.delete("level")
    assert watch.next(timeout=1) == "debug"
    watch.close()


def test_c43_one_snapshot_per_publication_and_a_slow_consumer_gets_the_latest() -> None:
    source = MutableInMemory({"n": 0})
    reader = Reader([source])
    watch = reader.watch_snapshots()
    first = next(watch)
    assert isinstance(first, Snapshot) and first.get("n", int) == 0
    source.set("n", 1)
    assert watch.next(timeout=1).get("n", int) == 1
    for i in range(2, 50):  # the consumer is not reading
        source.set("n", i)
    latest = watch.next(timeout=1)
    assert latest.get("n", int) == 49
    with pytest.raises(TimeoutError):
        watch.next(timeout=0.05)  # no backlog behind it
    watch.close()


def test_c44_closing_watches_releases_them_with_no_leak_over_1000_cycles() -> None:
    source = MutableInMemory({"a": 1})
    reader = Reader([source])
    for _ in range(1000):
        watch = reader.watch("a", int)
        next(watch)
        watch.close()
    assert reader.watcher_count == 0
    with reader.watch("a") as scoped_watch:
        assert reader.watcher_count == 1
        next(scoped_watch)
    assert reader.watcher_count == 0
    forgotten = reader.watch("a")
    del forgotten
    gc.collect()
    assert reader.watcher_count == 0  # held weakly: a dropped watch does not leak
    ended = reader.watch("a")
    next(ended)
    ended.close()
    with pytest.raises(StopIteration):
        next(ended)


def test_c45_a_raising_callback_breaks_neither_publication_nor_readers(caplog: pytest.LogCaptureFixture) -> None:
    source = MutableInMemory({"a": 1})
    reader = Reader([source, Defaults({"b": 2})])
    seen: list[int] = []

    def broken(_snapshot: Snapshot) -> None:
        raise RuntimeError("callback bug")

    reader.on_change(broken)
    reader.on_change(lambda s: seen.append(s.get("a", int)))
    watch = reader.watch("a", int)
    next(watch)
    with caplog.at_level(logging.ERROR, logger="ferry.config"):
        source.set("a", 2)
    assert seen == [2]
    assert watch.next(timeout=1) == 2
    assert reader.get("a", int) == 2
    assert "callback raised" in caplog.text
    watch.close()


def test_c55_async_watch_waits_without_blocking_the_event_loop() -> None:
    source = MutableInMemory({"a": 1})
    reader = Reader([source])

    async def scenario() -> tuple[list[int], int]:
        ticks = 0
        got: list[int] = []

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        ticking = asyncio.create_task(ticker())
        watch = reader.watch("a", int)
        got.append(await anext(watch))
        threading.Timer(0.3, lambda: source.set("a", 2)).start()  # a change published from another thread
        got.append(await asyncio.wait_for(anext(watch), 5))
        await watch.aclose()
        with pytest.raises(StopAsyncIteration):
            await anext(watch)
        ticking.cancel()
        return got, ticks

    got, ticks = asyncio.run(scenario())
    assert got == [1, 2]
    assert ticks >= 5  # the loop kept running while the watch waited (a blocked loop ticks once or twice)
    assert reader.watcher_count == 0
