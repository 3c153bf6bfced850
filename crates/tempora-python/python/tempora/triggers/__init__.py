"""Triggers: when a job fires. Each is checked and computed by Tempora."""

from .base import BaseTrigger
from .calendarinterval import CalendarIntervalTrigger
from .combining import AndTrigger, OrTrigger
from .cron import CronTrigger
from .date import DateTrigger
from .interval import IntervalTrigger

__all__ = [
    "BaseTrigger",
    "AndTrigger",
    "CalendarIntervalTrigger",
    "CronTrigger",
    "DateTrigger",
    "IntervalTrigger",
    "OrTrigger",
]
