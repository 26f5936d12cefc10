"""An emulated remote link in front of an origin: per-connection rate cap and first-byte delay (asyncio).

    python linkproxy.py --listen 8000 --upstream 127.0.0.1:8333 --rate 50e6 --first-byte 0.02 --stats 8001

Each connection's origin→client stream is paced by a token bucket (``--rate`` bytes/s, ``--burst`` seconds of
credit); after each request the client sends, the next response byte waits ``--first-byte`` seconds. The aggregate
link rate comes from HTB/TBF on the namespace's loopback (see run.py). ``GET /`` on the stats port answers the
counters as JSON; ``GET /reset`` zeroes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.down_bytes = 0
        self.requests = 0
        self.connections = 0


async def pump_up(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: dict[str, bool], stats: Stats
) -> None:
    try:
        while data := await reader.read(65536):
            if data[:4] in (b"GET ", b"HEAD", b"PUT ", b"POST"):
                stats.requests += 1
            state["fresh_request"] = True
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def pump_down(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    state: dict[str, bool],
    stats: Stats,
    rate: float,
    burst: float,
    first_byte: float,
) -> None:
    tokens = rate * burst
    last = time.monotonic()
    try:
        while data := await reader.read(256 * 1024):
            if state.get("fresh_request"):
                state["fresh_request"] = False
                if first_byte:
                    await asyncio.sleep(first_byte)
                last = time.monotonic()
            view = memoryview(data)
            while view:
                if rate:
                    now = time.monotonic()
                    tokens = min(rate * burst, tokens + (now - last) * rate)
                    last = now
                    if tokens < 1:
                        await asyncio.sleep(min(0.05, (len(view) if len(view) < 65536 else 65536) / rate))
                        continue
                    step = min(len(view), int(tokens))
                    tokens -= step
                else:
                    step = len(view)
                writer.write(view[:step])
                stats.down_bytes += step
                view = view[step:]
                await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--rate", type=float, default=50e6)
    parser.add_argument("--burst", type=float, default=0.1)
    parser.add_argument("--first-byte", type=float, default=0.02)
    parser.add_argument("--stats", type=int, required=True)
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    stats = Stats()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        stats.connections += 1
        up_r, up_w = await asyncio.open_connection(host, int(port))
        state: dict[str, bool] = {}
        await asyncio.gather(
            pump_up(client_r, up_w, state, stats),
            pump_down(up_r, client_w, state, stats, args.rate, args.burst, args.first_byte),
        )

    async def report(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = await reader.readline()
        body = json.dumps(
            {"down_bytes": stats.down_bytes, "requests": stats.requests, "connections": stats.connections}
        ).encode()
        if b"/reset" in line:
            stats.reset()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        await writer.drain()
        writer.close()

    proxy = await asyncio.start_server(handle, "127.0.0.1", args.listen)
    control = await asyncio.start_server(report, "127.0.0.1", args.stats)
    async with proxy, control:
        await asyncio.gather(proxy.serve_forever(), control.serve_forever())


if __name__ == "__main__":
    asyncio.run(main())
