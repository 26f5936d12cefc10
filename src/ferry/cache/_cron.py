"""Five-field cron schedules for DataLoads with ``policy: Cron`` (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["CronSchedule"]

_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_NAMES = ("minute", "hour", "day of month", "month", "day of week")


def _field(text: str, index: int) -> frozenset[int]:
    low, high = _RANGES[index]
    if index == 4:
        high = 7  # 0 and 7 are both Sunday
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"cron {_NAMES[index]}: step must be positive in {part!r}")
        if body == "*":
            start, end = low, (6 if index == 4 else high)
        elif "-" in body:
            first, last = body.split("-", 1)
            start, end = int(first), int(last)
        else:
            start = int(body)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high and start <= end):
            raise ValueError(f"cron {_NAMES[index]}: {part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    if index == 4:
        values = {v % 7 for v in values}
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    """``minute hour day-of-month month day-of-week`` with ``*``, lists, ranges and steps."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> CronSchedule:
        fields = text.split()
        if len(fields) != 5:
            raise ValueError(f"a cron schedule has 5 fields (minute hour day month weekday), got {text!r}")
        try:
            parsed = [_field(f, i) for i, f in enumerate(fields)]
        except ValueError as exc:
            if "cron" in str(exc):
                raise
            raise ValueError(f"cron schedule {text!r}: fields are numbers, *, lists, ranges and /steps") from None
        return cls(parsed[0], parsed[1], parsed[2], parsed[3], parsed[4], fields[2] == "*", fields[4] == "*")

    def _day_ok(self, when: datetime) -> bool:
        day_ok = when.day in self.days
        weekday_ok = (when.weekday() + 1) % 7 in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok  # cron's rule: either restricted field may match

    def matches(self, when: datetime) -> bool:
        return (
            when.minute in self.minutes and when.hour in self.hours and when.month in self.months and self._day_ok(when)
        )

    def next_after(self, when: datetime) -> datetime:
        """The first matching minute strictly after ``when`` (searches up to four years ahead)."""
        probe = when.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = probe + timedelta(days=366 * 4)
        while probe < limit:
            if probe.month not in self.months:
                probe = (probe.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            elif not self._day_ok(probe):
                probe = probe.replace(hour=0, minute=0) + timedelta(days=1)
            elif probe.hour not in self.hours:
                probe = probe.replace(minute=0) + timedelta(hours=1)
            elif probe.minute not in self.minutes:
                probe += timedelta(minutes=1)
            else:
                return probe
        raise ValueError("the schedule never matches")
