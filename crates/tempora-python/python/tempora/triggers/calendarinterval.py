"""A trigger that fires every n years, months, weeks or days at a wall-clock time."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any, Dict, Optional, Tuple, Union

from ..util import astimezone, get_localzone, localize, zone_name
from .base import BaseTrigger

__all__ = ["CalendarIntervalTrigger"]


def _to_date(value: Union[date, str, None], name: str) -> Optional[date]:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise TypeError(f"{name}: expected a date, got {type(value).__name__}")


class CalendarIntervalTrigger(BaseTrigger):
    """Fires every ``years``/``months``/``weeks``/``days`` at ``hour:minute:second``
    in ``timezone``, from ``start_date`` (today when not given) to ``end_date``."""

    __slots__ = ("timezone", "years", "months", "weeks", "days", "start_date", "end_date", "_time")
    years: int
    months: int
    weeks: int
    days: int
    start_date: date
    end_date: Optional[date]
    _time: Tuple[int, int, int]

    def __init__(
        self,
        *,
        years: int = 0,
        months: int = 0,
        weeks: int = 0,
        days: int = 0,
        hour: int = 0,
        minute: int = 0,
        second: int = 0,
        start_date: Union[date, str, None] = None,
        end_date: Union[date, str, None] = None,
        timezone: Union[str, tzinfo, None] = None,
    ) -> None:
        tz = astimezone(timezone) if timezone is not None else get_localzone()
        if years == 0 and months == 0 and weeks == 0 and days == 0:
            raise ValueError("interval must be at least 1 day long")
        start = _to_date(start_date, "start_date") or datetime.now(tz).date()
        end = _to_date(end_date, "end_date")
        if end is not None and start > end:
            raise ValueError("end_date cannot be earlier than start_date")
        for name, value in (("timezone", tz), ("years", years), ("months", months), ("weeks", weeks),
                            ("days", days), ("start_date", start), ("end_date", end),
                            ("_time", (hour, minute, second)), ("_compiled", None)):
            object.__setattr__(self, name, value)
        self._check()

    def get_next_fire_time(self, previous_fire_time: Optional[datetime], now: datetime) -> Optional[datetime]:
        """As APScheduler's: the first fire time is on ``start_date`` whatever ``now`` is."""
        if previous_fire_time is None:
            now = localize(datetime.combine(self.start_date, datetime.min.time()), self.timezone)
        return super().get_next_fire_time(previous_fire_time, now)

    def to_spec(self) -> Dict[str, Any]:
        spec: Dict[str, Any] = {"type": "calendar_interval"}
        for name in ("years", "months", "weeks", "days"):
            if getattr(self, name):
                spec[name] = getattr(self, name)
        spec["hour"], spec["minute"], spec["second"] = self._time
        spec["start_date"] = self.start_date.isoformat()
        if self.end_date is not None:
            spec["end_date"] = self.end_date.isoformat()
        spec["timezone"] = zone_name(self.timezone)
        return spec

    def __str__(self) -> str:
        options = [f"{name}={getattr(self, name)}" for name in ("years", "months", "weeks", "days") if getattr(self, name)]
        return f"calendarinterval[{', '.join(options)} at {self._time[0]:02d}:{self._time[1]:02d}:{self._time[2]:02d}]"

    def __repr__(self) -> str:
        fields = [f"{name}={getattr(self, name)}" for name in ("years", "months", "weeks", "days") if getattr(self, name)]
        fields.append(f"time='{self._time[0]:02d}:{self._time[1]:02d}:{self._time[2]:02d}'")
        fields.append(f"start_date='{self.start_date}'")
        if self.end_date:
            fields.append(f"end_date='{self.end_date}'")
        fields.append(f"timezone='{zone_name(self.timezone)}'")
        return f"{self.__class__.__name__}({', '.join(fields)})"
