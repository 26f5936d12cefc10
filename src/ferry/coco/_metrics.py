"""The webhook's Prometheus metrics: counters and a latency histogram, rendered as text exposition 0.0.4 (pure)."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable

__all__ = ["BUCKETS", "WebhookMetrics"]

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    inner = ",".join(f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in pairs)
    return "{" + inner + "}" if inner else ""


class WebhookMetrics:
    """Thread-safe counters. Dry-run requests are counted as requests but never as injections."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.injections: dict[str, int] = defaultdict(int)
        self.violations: dict[str, int] = defaultdict(int)
        self.reloads: dict[tuple[str, str], int] = defaultdict(int)
        self.http_errors: dict[str, int] = defaultdict(int)
        self.hist: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.hist_sum: dict[str, float] = defaultdict(float)

    def observe(
        self,
        webhook: str,
        decision: str,
        seconds: float,
        *,
        dry_run: bool = False,
        injected: Iterable[str] = (),
        rules: Iterable[str] = (),
    ) -> None:
        with self._lock:
            self.requests[(webhook, decision, "true" if dry_run else "false")] += 1
            counts = self.hist[webhook]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
                    break
            else:
                counts[-1] += 1
            self.hist_sum[webhook] += seconds
            if not dry_run:
                for what in injected:
                    self.injections[what] += 1
            for rule in rules:
                self.violations[rule] += 1

    def http_error(self, status: int) -> None:
        with self._lock:
            self.http_errors[str(status)] += 1

    def reload(self, what: str, ok: bool) -> None:
        with self._lock:
            self.reloads[(what, "ok" if ok else "failed")] += 1

    def render(self) -> str:
        with self._lock:
            lines = [
                "# HELP ferry_coco_admission_requests_total AdmissionReviews answered, by webhook and decision.",
                "# TYPE ferry_coco_admission_requests_total counter",
            ]
            for (hook, decision, dry), n in sorted(self.requests.items()):
                labels = _labels([("webhook", hook), ("decision", decision), ("dry_run", dry)])
                lines.append(f"ferry_coco_admission_requests_total{labels} {n}")
            lines += [
                "# HELP ferry_coco_admission_duration_seconds Time to answer an AdmissionReview (handler only).",
                "# TYPE ferry_coco_admission_duration_seconds histogram",
            ]
            for hook, counts in sorted(self.hist.items()):
                running = 0
                for bound, n in zip(BUCKETS, counts, strict=False):
                    running += n
                    le = _labels([("webhook", hook), ("le", repr(bound))])
                    lines.append(f"ferry_coco_admission_duration_seconds_bucket{le} {running}")
                running += counts[-1]
                le = _labels([("webhook", hook), ("le", "+Inf")])
                lines.append(f"ferry_coco_admission_duration_seconds_bucket{le} {running}")
                lines.append(
                    f"ferry_coco_admission_duration_seconds_sum{_labels([('webhook', hook)])} {self.hist_sum[hook]}"
                )
                lines.append(f"ferry_coco_admission_duration_seconds_count{_labels([('webhook', hook)])} {running}")
            for name, help_text, table, key in (
                (
                    "ferry_coco_injections_total",
                    "Fields injected by /mutate (dry runs excluded).",
                    self.injections,
                    "what",
                ),
                (
                    "ferry_coco_rule_violations_total",
                    "Rule violations (deny or warn) found by /validate.",
                    self.violations,
                    "rule",
                ),
                (
                    "ferry_coco_http_errors_total",
                    "Requests answered with an HTTP error status.",
                    self.http_errors,
                    "status",
                ),
            ):
                lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
                lines += [f"{name}{_labels([(key, k)])} {n}" for k, n in sorted(table.items())]
            lines += [
                "# HELP ferry_coco_reloads_total Hot reloads of the TLS certificate and the profile.",
                "# TYPE ferry_coco_reloads_total counter",
            ]
            for (what, result), n in sorted(self.reloads.items()):
                lines.append(f"ferry_coco_reloads_total{_labels([('what', what), ('result', result)])} {n}")
        return "\n".join(lines) + "\n"
