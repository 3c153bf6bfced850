"""Conversions between Python values and Tempora's: times, zones, callables."""

from __future__ import annotations

import inspect
import json
import sys
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import partial
from importlib import import_module
from typing import Any, Callable, Optional, Union
from zoneinfo import ZoneInfo

from . import _native

__all__ = [
    "astimezone",
    "convert_to_datetime",
    "datetime_to_micros",
    "micros_to_datetime",
    "obj_to_ref",
    "ref_to_obj",
    "get_callable_name",
    "timedelta_seconds",
    "undefined",
    "zone_name",
    "local_timezone",
    "get_localzone",
    "localize",
    "is_datetime",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_DATE_RE = __import__("re").compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{1,2}):(?P<second>\d{1,2})"
    r"(?:\.(?P<microsecond>\d{1,6}))?"
    r"(?P<timezone>Z|[+-]\d\d:?\d\d)?)?$"
)


class _Undefined:
    """The value of an argument that was not given (APScheduler's ``undefined``)."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<undefined>"


undefined: Any = _Undefined()


def get_localzone() -> tzinfo:
    """The zone of this machine, as Tempora finds it (``TZ``, ``/etc/localtime``)."""
    return astimezone(_native.system_timezone())


def is_datetime(value: Any) -> bool:
    return isinstance(value, datetime)


def local_timezone() -> tzinfo:
    """The zone of this machine, as Tempora finds it (``TZ``, ``/etc/localtime``)."""
    return astimezone(_native.system_timezone())


def astimezone(obj: Union[str, tzinfo, None]) -> tzinfo:
    """A ``tzinfo`` for a zone name or ``tzinfo``; ``None`` gives the local zone."""
    if obj is None:
        return get_localzone()
    if isinstance(obj, str):
        if obj.upper() == "UTC":
            return timezone.utc
        if obj[:1] in "+-":
            return _fixed_offset(obj)
        try:
            return ZoneInfo(obj)
        except Exception as exc:
            raise ValueError(f"timezone: {obj!r} is not a known time zone") from exc
    if isinstance(obj, tzinfo):
        pytz_zone = getattr(obj, "zone", None)
        if isinstance(pytz_zone, str):
            # A pytz zone: the same zone as a ZoneInfo (as APScheduler 3.11 does).
            return timezone.utc if pytz_zone == "UTC" else ZoneInfo(pytz_zone)
        if obj.tzname(None) == "local":
            raise ValueError(
                "Unable to determine the name of the local timezone -- you must explicitly "
                "specify the name of the local timezone."
            )
        return obj
    raise TypeError(f"Expected tzinfo, got {obj.__class__.__name__} instead")


def _fixed_offset(text: str) -> tzinfo:
    sign = -1 if text[0] == "-" else 1
    hours, _, minutes = text[1:].partition(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))


def zone_name(tz: tzinfo) -> str:
    """The name Tempora knows ``tz`` by: an IANA name, ``UTC`` or ``+05:30``."""
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if isinstance(key, str):
        return key
    if tz is timezone.utc:
        return "UTC"
    offset = tz.utcoffset(None)
    if offset is None:
        raise ValueError(f"timezone: {tz!r} has no name and no fixed offset")
    if offset == timedelta(0):
        return "UTC"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def convert_to_datetime(
    value: Union[str, datetime, date, None], tz: tzinfo, arg_name: str
) -> Optional[datetime]:
    """An aware ``datetime`` from a ``datetime``, ``date`` or ISO 8601 text; a
    naive value is read in ``tz``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, datetime.min.time())
    elif isinstance(value, str):
        match = _DATE_RE.match(value.strip())
        if match is None:
            raise ValueError(f"Invalid date string: {value!r}")
        parts = match.groupdict()
        zone = parts.pop("timezone")
        micro = parts.pop("microsecond") or "0"
        numbers = {key: int(text) for key, text in parts.items() if text}
        dt = datetime(numbers["year"], numbers["month"], numbers["day"], numbers.get("hour", 0),
                      numbers.get("minute", 0), numbers.get("second", 0), int(micro.ljust(6, "0")))
        if zone == "Z":
            dt = dt.replace(tzinfo=timezone.utc)
        elif zone:
            sign = -1 if zone[0] == "-" else 1
            hours, _, minutes = zone[1:].partition(":")
            dt = dt.replace(tzinfo=timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0))))
    else:
        raise TypeError(f"Unsupported type for {arg_name}: {value.__class__.__name__}")
    if dt.tzinfo is not None:
        return dt
    if tz is None:
        raise ValueError(
            f'The "tz" argument must be specified if {arg_name} has no timezone information'
        )
    return localize(dt, tz)


def localize(dt: datetime, tz: tzinfo) -> datetime:
    """``dt``, naive, as a time in ``tz`` (pytz zones localized their way)."""
    localize_pytz = getattr(tz, "localize", None)
    if localize_pytz is not None:
        return localize_pytz(dt)  # type: ignore[no-any-return]
    return dt.replace(tzinfo=tz)


def datetime_to_micros(dt: datetime) -> int:
    """Microseconds since the Unix epoch of aware ``dt``."""
    delta = dt - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def micros_to_datetime(micros: Optional[int], tz: Optional[tzinfo]) -> Optional[datetime]:
    """The instant ``micros`` as an aware ``datetime`` in ``tz``."""
    if micros is None:
        return None
    dt = _EPOCH + timedelta(microseconds=micros)
    return dt.astimezone(tz) if tz is not None else dt


def timedelta_seconds(delta: timedelta) -> float:
    return delta.total_seconds()


def get_callable_name(func: Callable[..., Any]) -> str:
    """The best name for ``func``: its qualified name."""
    if isinstance(func, partial):
        return get_callable_name(func.func)
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    if name is None:
        if hasattr(func, "__call__") and not inspect.isfunction(func):
            return type(func).__qualname__
        raise TypeError(f"Unable to determine a name for {func!r} -- maybe it is not a callable?")
    return str(name)


def obj_to_ref(obj: Any) -> str:
    """The textual reference (``"package.module:name"``) that finds ``obj``
    again; ``ValueError`` when there is none (a lambda, a nested function,
    a partial)."""
    if isinstance(obj, partial):
        raise ValueError("Cannot create a reference to a partial()")
    name = get_callable_name(obj)
    if "<lambda>" in name:
        raise ValueError("Cannot create a reference to a lambda")
    if "<locals>" in name:
        raise ValueError("Cannot create a reference to a nested function")
    module: Optional[str]
    if inspect.ismethod(obj):
        owner = obj.__self__
        if inspect.isclass(owner):
            module = owner.__module__
        else:
            raise ValueError(
                f"Cannot create a reference to an instance method ({name}) -- use a "
                "function, a class method or a static method"
            )
    else:
        module = getattr(obj, "__module__", None)
    if module is None:
        raise ValueError(f"Cannot create a reference to {obj!r}: it has no module")
    ref = f"{module}:{name}"
    try:
        found = ref_to_obj(ref)
    except Exception as exc:
        raise ValueError(f"Cannot determine the reference to {obj!r}") from exc
    if found != obj:
        raise ValueError(f"Cannot determine the reference to {obj!r}")
    return ref


def ref_to_obj(ref: str) -> Any:
    """The object a ``"package.module:name"`` reference names."""
    if not isinstance(ref, str):
        raise TypeError("References must be strings")
    if ":" not in ref:
        raise ValueError("Invalid reference")
    modulename, rest = ref.split(":", 1)
    try:
        obj: Any = import_module(modulename)
    except ImportError as exc:
        raise LookupError(f"Error resolving reference {ref}: could not import module") from exc
    try:
        for name in rest.split("."):
            obj = getattr(obj, name)
        return obj
    except Exception as exc:
        raise LookupError(f"Error resolving reference {ref}: error looking up object") from exc


def maybe_ref(ref: Any) -> Any:
    """``ref_to_obj(ref)`` for text, ``ref`` itself otherwise."""
    if not isinstance(ref, str):
        return ref
    return ref_to_obj(ref)


def check_callable_args(func: Callable[..., Any], args: Any, kwargs: Any) -> None:
    """Raises ``ValueError`` when ``func`` cannot be called with ``args`` and ``kwargs``."""
    try:
        sig = inspect.signature(func)
    except (ValueError, TypeError):
        return
    try:
        sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise ValueError(f"The job's arguments do not fit {get_callable_name(func)}: {exc}") from exc


def iscoroutinefunction_partial(func: Any) -> bool:
    while isinstance(func, partial):
        func = func.func
    return inspect.iscoroutinefunction(func)


def to_json(value: Any, what: str) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: {exc}") from exc


if sys.version_info < (3, 9):  # pragma: no cover
    raise ImportError("tempora needs Python 3.9 or later")
