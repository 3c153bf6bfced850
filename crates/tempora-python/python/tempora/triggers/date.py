"""A trigger that fires once, at a given time."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any, Dict, Optional, Union

from ..util import astimezone, get_localzone, convert_to_datetime, datetime_to_micros, micros_to_datetime, zone_name
from .base import BaseTrigger, iso

__all__ = ["DateTrigger"]


class DateTrigger(BaseTrigger):
    """Fires once at ``run_date`` (now when not given).

    :param run_date: the time to fire at; naive values are read in ``timezone``
    :param timezone: the zone of a naive ``run_date`` (default: the local zone)
    """

    __slots__ = ("run_date", "timezone")
    run_date: datetime

    def __init__(
        self,
        run_date: Union[datetime, str, None] = None,
        timezone: Union[str, tzinfo, None] = None,
    ) -> None:
        tz = astimezone(timezone) if timezone is not None else get_localzone()
        if run_date is not None:
            run = convert_to_datetime(run_date, tz, "run_date")
        else:
            run = datetime.now(tz)
        assert run is not None
        object.__setattr__(self, "timezone", tz)
        # A run date keeps its own offset (APScheduler keeps the value given).
        object.__setattr__(self, "run_date", run)
        object.__setattr__(self, "_compiled", None)
        self._check()

    def to_spec(self) -> Dict[str, Any]:
        return {"type": "date", "run_date": iso(self.run_date), "timezone": zone_name(self.timezone)}

    def get_next_fire_time(
        self, previous_fire_time: Optional[datetime], now: datetime
    ) -> Optional[datetime]:
        if previous_fire_time is not None:
            return None
        return self.run_date

    def __str__(self) -> str:
        return f"date[{self.run_date.strftime('%Y-%m-%d %H:%M:%S %Z')}]"

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (run_date='{self.run_date.strftime('%Y-%m-%d %H:%M:%S %Z')}')>"


_ = (datetime_to_micros, micros_to_datetime)
