"""A trigger that fires at fixed intervals of elapsed time."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from datetime import datetime as _datetime_type
from typing import Any, Dict, Optional, Union

from ..util import astimezone, convert_to_datetime, get_localzone, is_datetime, zone_name
from .base import BaseTrigger, duration, iso

__all__ = ["IntervalTrigger"]


class IntervalTrigger(BaseTrigger):
    """Fires every ``weeks + days + hours + minutes + seconds`` of elapsed
    time, from ``start_date`` (now + the interval when not given) until
    ``end_date``.

    DIFFERENCE from APScheduler: the interval is a whole number of seconds.
    """

    __slots__ = ("timezone", "start_date", "end_date", "interval", "interval_length", "jitter", "_parts")
    start_date: datetime
    end_date: Optional[datetime]
    interval: timedelta
    interval_length: float
    jitter: Optional[float]
    _parts: Dict[str, int]

    def __init__(
        self,
        weeks: int = 0,
        days: int = 0,
        hours: int = 0,
        minutes: int = 0,
        seconds: int = 0,
        start_date: Union[datetime, str, None] = None,
        end_date: Union[datetime, str, None] = None,
        timezone: Union[str, tzinfo, None] = None,
        jitter: Optional[float] = None,
    ) -> None:
        interval = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
        if interval.total_seconds() <= 0:
            interval = timedelta(seconds=1)
            weeks = days = hours = minutes = 0
            seconds = 1
        if timezone is not None:
            tz = astimezone(timezone)
        elif isinstance(start_date, _datetime_type) and start_date.tzinfo:
            tz = astimezone(start_date.tzinfo)
        else:
            tz = get_localzone()
        start = convert_to_datetime(start_date, tz, "start_date") if start_date is not None else None
        if start is None:
            start = datetime.now(tz) + interval
        end = convert_to_datetime(end_date, tz, "end_date")
        parts = {"weeks": weeks, "days": days, "hours": hours, "minutes": minutes, "seconds": seconds}
        for name, value in parts.items():
            if value != int(value):
                raise ValueError(f"{name}: {value!r} is not a whole number (Tempora's intervals count whole seconds)")
            parts[name] = int(value)
        self._set(timezone=tz, start_date=start, end_date=end, interval=interval,
                  interval_length=interval.total_seconds(), jitter=jitter, _parts=parts)
        if end is None or end >= start:
            self._check()

    def get_next_fire_time(self, previous_fire_time: Optional[datetime], now: datetime) -> Optional[datetime]:
        if self.end_date is not None and self.end_date < self.start_date:
            return None  # ends before it starts: never fires (as APScheduler)
        return super().get_next_fire_time(previous_fire_time, now)

    def to_spec(self) -> Dict[str, Any]:
        spec: Dict[str, Any] = {"type": "interval"}
        spec.update({name: value for name, value in self._parts.items() if value})
        spec["start_date"] = iso(self.start_date)
        if self.end_date is not None:
            spec["end_date"] = iso(self.end_date)
        spec["timezone"] = zone_name(self.timezone)
        if self.jitter:
            spec["jitter"] = duration(self.jitter)
        return spec

    def __str__(self) -> str:
        return f"interval[{self.interval!s}]"

    def __repr__(self) -> str:
        fields = [f"interval={self.interval!r}", f"start_date='{self.start_date.strftime('%Y-%m-%d %H:%M:%S %Z')}'"]
        if self.end_date:
            fields.append(f"end_date='{self.end_date.strftime('%Y-%m-%d %H:%M:%S %Z')}'")
        if self.jitter:
            fields.append(f"jitter={self.jitter}")
        return f"<{self.__class__.__name__} ({', '.join(fields)}, timezone='{zone_name(self.timezone)}')>"
