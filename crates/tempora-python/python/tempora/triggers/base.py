"""The base of every trigger: a value that answers "when next?" through Tempora."""

from __future__ import annotations

import json
from abc import ABCMeta, abstractmethod
from datetime import datetime, tzinfo
from typing import Any, Dict, List, Optional

from .. import _native
from ..util import astimezone, datetime_to_micros, micros_to_datetime, zone_name

__all__ = ["BaseTrigger", "trigger_from_spec"]


class BaseTrigger(metaclass=ABCMeta):
    """A trigger: its settings, checked and computed by Tempora's engine."""

    timezone: tzinfo
    __slots__ = ("__weakref__", "_compiled")

    @abstractmethod
    def to_spec(self) -> Dict[str, Any]:
        """The trigger's JSON form, as Tempora stores it."""

    def _native(self) -> _native.NativeTrigger:
        compiled = getattr(self, "_compiled", None)
        if compiled is None:
            compiled = _native.NativeTrigger(json.dumps(self.to_spec()))
            object.__setattr__(self, "_compiled", compiled)
        return compiled

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name != "_compiled":
            object.__setattr__(self, "_compiled", None)

    def _set(self, **values: Any) -> None:
        """Sets attributes (the triggers' slots), and forgets the compiled trigger."""
        for name, value in values.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_compiled", None)

    def _check(self) -> None:
        """Builds the Tempora trigger now, so bad settings raise ``ValueError``."""
        self._native()

    def get_next_fire_time(
        self, previous_fire_time: Optional[datetime], now: datetime
    ) -> Optional[datetime]:
        """The next fire time after ``previous_fire_time`` (the first at or
        after ``now`` when there is none); ``None`` when the trigger is done."""
        previous = None if previous_fire_time is None else datetime_to_micros(previous_fire_time)
        micros = self._native().next_fire_time(previous, datetime_to_micros(now))
        return micros_to_datetime(micros, self.timezone)

    def __getstate__(self) -> Dict[str, Any]:
        return {"spec": self.to_spec(), "timezone": self.timezone, "jitter": getattr(self, "jitter", None)}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        other = trigger_from_spec(state["spec"], state.get("timezone"))
        if state.get("jitter") is not None and hasattr(other, "jitter"):
            object.__setattr__(other, "jitter", state["jitter"])
        for slot in _all_slots(type(other)):
            if slot in ("__weakref__", "_compiled"):
                continue
            if hasattr(other, slot):
                object.__setattr__(self, slot, getattr(other, slot))
        object.__setattr__(self, "_compiled", None)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseTrigger):
            return NotImplemented
        return type(self) is type(other) and self.to_spec() == other.to_spec()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_spec(), sort_keys=True))


def _all_slots(cls: type) -> list:
    slots: List[str] = []
    for klass in cls.__mro__:
        slots.extend(getattr(klass, "__slots__", ()))
    return slots


def _zone(spec: Dict[str, Any]) -> tzinfo:
    return astimezone(spec.get("timezone", "UTC"))


def _instant(text: Optional[str], tz: tzinfo) -> Optional[datetime]:
    if text is None:
        return None
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt.astimezone(tz)


def trigger_from_spec(spec: Dict[str, Any], tz: Optional[tzinfo] = None) -> BaseTrigger:
    """The Python trigger of Tempora's JSON form ``spec`` (in ``tz``, the
    ``tzinfo`` to show its times in, when given)."""
    from .calendarinterval import CalendarIntervalTrigger
    from .combining import AndTrigger, OrTrigger
    from .cron import CronTrigger
    from .date import DateTrigger
    from .interval import IntervalTrigger

    kind = spec.get("type")
    if tz is None or zone_name(tz) != spec.get("timezone", "UTC"):
        tz = _zone(spec)
    if kind == "date":
        return DateTrigger(_instant(spec["run_date"], tz), timezone=tz)
    if kind == "interval":
        return IntervalTrigger(
            weeks=spec.get("weeks", 0),
            days=spec.get("days", 0),
            hours=spec.get("hours", 0),
            minutes=spec.get("minutes", 0),
            seconds=spec.get("seconds", 0),
            start_date=_instant(spec.get("start_date"), tz),
            end_date=_instant(spec.get("end_date"), tz),
            timezone=tz,
            jitter=_seconds(spec.get("jitter")),
        )
    if kind == "cron":
        if "crontab" in spec:
            trigger = CronTrigger.from_crontab(spec["crontab"], timezone=tz)
        else:
            fields = {
                name: spec[name]
                for name in ("year", "month", "day", "week", "day_of_week", "hour", "minute", "second")
                if name in spec
            }
            trigger = CronTrigger(
                start_date=_instant(spec.get("start_date"), tz),
                end_date=_instant(spec.get("end_date"), tz),
                timezone=tz,
                jitter=_seconds(spec.get("jitter")),
                **fields,
            )
        return trigger
    if kind == "calendar_interval":
        return CalendarIntervalTrigger(
            years=spec.get("years", 0),
            months=spec.get("months", 0),
            weeks=spec.get("weeks", 0),
            days=spec.get("days", 0),
            hour=spec.get("hour", 0),
            minute=spec.get("minute", 0),
            second=spec.get("second", 0),
            start_date=spec.get("start_date"),
            end_date=spec.get("end_date"),
            timezone=tz,
        )
    if kind in ("any", "all"):
        triggers = [trigger_from_spec(sub, tz) for sub in spec["triggers"]]
        return OrTrigger(triggers) if kind == "any" else AndTrigger(triggers)
    raise ValueError(f"trigger: {kind!r} is not a trigger type Tempora knows")


def _seconds(text: Optional[str]) -> Optional[float]:
    """Seconds of an ISO 8601 duration as Tempora writes it (``PT1.5S``, ``PT2M``)."""
    if text is None:
        return None
    body = text.upper().lstrip("-").removeprefix("PT") if hasattr(str, "removeprefix") else text.upper().lstrip("-")[2:]
    total = 0.0
    number = ""
    for char in body:
        if char.isdigit() or char == ".":
            number += char
        else:
            total += float(number) * {"H": 3600, "M": 60, "S": 1}[char]
            number = ""
    return -total if text.startswith("-") else total


def iso(dt: Optional[datetime]) -> Optional[str]:
    """``dt`` (aware) as Tempora reads an instant: ISO 8601 in UTC."""
    if dt is None:
        return None
    return micros_to_datetime(datetime_to_micros(dt), None).isoformat().replace("+00:00", "Z")  # type: ignore[union-attr]


def duration(seconds: Optional[float]) -> Optional[str]:
    if seconds is None:
        return None
    return f"PT{seconds:g}S" if seconds == int(seconds) else f"PT{seconds:.6f}S"
