"""Schedulers: blocking, background and asyncio, over Tempora's engine."""


class SchedulerAlreadyRunningError(Exception):
    """The scheduler is running already."""

    def __str__(self) -> str:
        return "Scheduler is already running"


class SchedulerNotRunningError(Exception):
    """The scheduler is not running."""

    def __str__(self) -> str:
        return "Scheduler is not running"


__all__ = ["SchedulerAlreadyRunningError", "SchedulerNotRunningError"]
