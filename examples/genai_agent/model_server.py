"""A local OpenAI-compatible model server on loopback: ``POST /v1/chat/completions``, deterministic replies.

It plays a model that first asks for the ``search_web`` tool, then answers from the tool's result. ``--latency``
makes each completion take that long (a slow model); ``--fail-first N`` answers the first N requests with 503
(a flaky provider the client retries).

    python examples/genai_agent/model_server.py --port 8700 --latency 0.2
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ids = itertools.count(1)
_lock = threading.Lock()


def reply(messages: list[dict[str, Any]], model: str) -> dict[str, Any]:
    """The completion for ``messages``: a tool call first, then an answer quoting the tool result."""
    last = messages[-1] if messages else {"role": "user", "content": ""}
    prompt_tokens = sum(len(str(m.get("content") or "").split()) for m in messages) + 8
    if last.get("role") == "tool":
        content = f"Answer (completion-marker-4419): {last.get('content')}"
        message: dict[str, Any] = {"role": "assistant", "content": content}
        finish = "stop"
    else:
        query = str(last.get("content", ""))
        call = {"id": f"call_{next(_ids)}", "type": "function",
                "function": {"name": "search_web", "arguments": json.dumps({"query": query})}}  # fmt: skip
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        finish = "tool_calls"
    completion_tokens = len(str(message.get("content") or "").split()) + 5
    return {
        "id": f"chatcmpl-{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }  # fmt: skip


def make_handler(latency: float, fail_first: int) -> type[BaseHTTPRequestHandler]:
    state = {"failures_left": fail_first}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                self._send(404, {"error": {"message": "not found"}})
                return
            with _lock:
                fail = state["failures_left"] > 0
                state["failures_left"] -= fail
            time.sleep(latency)
            if fail:
                self._send(503, {"error": {"message": "overloaded", "type": "server_error"}})
                return
            request = json.loads(body or b"{}")
            self._send(200, reply(request.get("messages", []), request.get("model", "local-model")))

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per completion")
    parser.add_argument("--fail-first", type=int, default=0, help="answer the first N requests with 503")
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.latency, args.fail_first))
    server.daemon_threads = True
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
