"""A trigger that fires on calendar fields, as cron does (APScheduler's grammar)."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from datetime import datetime as _datetime_type
from typing import Any, Dict, Optional, Union

from ..util import astimezone, convert_to_datetime, get_localzone, is_datetime, zone_name
from .base import BaseTrigger, duration, iso

__all__ = ["CronTrigger"]

FIELD_NAMES = ("year", "month", "day", "week", "day_of_week", "hour", "minute", "second")


class CronTrigger(BaseTrigger):
    """Fires when the time matches every field, in ``timezone``.

    Fields take APScheduler's expressions (``*``, ``*/5``, ``1-5``,
    ``mon-fri``, ``last``, ``3rd fri``, lists); fields left out smaller than
    the largest given one are at their minimum, larger ones are ``*``.
    Daylight saving time is handled by Tempora: a time that does not exist
    runs once, a time that happens twice runs once.
    """

    __slots__ = ("timezone", "start_date", "end_date", "jitter", "fields", "_crontab")
    start_date: Optional[datetime]
    end_date: Optional[datetime]
    jitter: Optional[float]
    fields: Dict[str, str]
    _crontab: Optional[str]

    def __init__(
        self,
        year: Union[int, str, None] = None,
        month: Union[int, str, None] = None,
        day: Union[int, str, None] = None,
        week: Union[int, str, None] = None,
        day_of_week: Union[int, str, None] = None,
        hour: Union[int, str, None] = None,
        minute: Union[int, str, None] = None,
        second: Union[int, str, None] = None,
        start_date: Union[datetime, str, None] = None,
        end_date: Union[datetime, str, None] = None,
        timezone: Union[str, tzinfo, None] = None,
        jitter: Optional[float] = None,
    ) -> None:
        if timezone is not None:
            tz = astimezone(timezone)
        elif isinstance(start_date, _datetime_type) and start_date.tzinfo:
            tz = astimezone(start_date.tzinfo)
        elif isinstance(end_date, _datetime_type) and end_date.tzinfo:
            tz = astimezone(end_date.tzinfo)
        else:
            tz = get_localzone()
        values = dict(zip(FIELD_NAMES, (year, month, day, week, day_of_week, hour, minute, second)))
        fields = {name: re.sub(r"\s*,\s*", ",", str(value).strip()) for name, value in values.items() if value is not None}
        self._set(timezone=tz, start_date=convert_to_datetime(start_date, tz, "start_date"),
                  end_date=convert_to_datetime(end_date, tz, "end_date"), jitter=jitter, fields=fields, _crontab=None)
        self._check()

    @classmethod
    def from_crontab(cls, expr: str, timezone: Union[str, tzinfo, None] = None) -> "CronTrigger":
        """A trigger from a standard crontab expression (five fields:
        minute, hour, day of month, month, day of week).

        DIFFERENCE from APScheduler: the day of week counts as cron does,
        0 (and 7) being Sunday; APScheduler read 0 as Monday.
        """
        values = expr.split()
        if len(values) != 5:
            raise ValueError(f"Wrong number of fields; got {len(values)}, expected 5")
        trigger = cls(minute=values[0], hour=values[1], day=values[2], month=values[3],
                      day_of_week=values[4], timezone=timezone)
        object.__setattr__(trigger, "fields", {})
        object.__setattr__(trigger, "_crontab", " ".join(values))
        object.__setattr__(trigger, "_compiled", None)
        trigger._check()
        return trigger

    def to_spec(self) -> Dict[str, Any]:
        spec: Dict[str, Any] = {"type": "cron"}
        if self._crontab is not None:
            spec["crontab"] = self._crontab
        spec.update(self.fields)
        spec["timezone"] = zone_name(self.timezone)
        if self.start_date is not None:
            spec["start_date"] = iso(self.start_date)
        if self.end_date is not None:
            spec["end_date"] = iso(self.end_date)
        if self.jitter:
            spec["jitter"] = duration(self.jitter)
        return spec

    def _display_fields(self) -> Dict[str, str]:
        if self._crontab is not None:
            names = ("minute", "hour", "day", "month", "day_of_week")
            values = dict(zip(names, self._crontab.split()))
            return {name: values[name] for name in FIELD_NAMES if name in values}
        return {name: self.fields[name] for name in FIELD_NAMES if name in self.fields}

    def __str__(self) -> str:
        options = [f"{name}='{value}'" for name, value in self._display_fields().items()]
        return f"cron[{', '.join(options)}]"

    def __repr__(self) -> str:
        options = [f"{name}='{value}'" for name, value in self._display_fields().items()]
        if self.start_date:
            options.append(f"start_date='{self.start_date.strftime('%Y-%m-%d %H:%M:%S %Z')}'")
        if self.end_date:
            options.append(f"end_date='{self.end_date.strftime('%Y-%m-%d %H:%M:%S %Z')}'")
        if self.jitter:
            options.append(f"jitter={self.jitter}")
        return f"<{self.__class__.__name__} ({', '.join(options)}, timezone='{zone_name(self.timezone)}')>"
