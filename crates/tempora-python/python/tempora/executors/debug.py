"""APScheduler's debug executor: here, a thread pool of one thread."""

from __future__ import annotations

from .pool import ThreadPoolExecutor

__all__ = ["DebugExecutor"]


class DebugExecutor(ThreadPoolExecutor):
    """Runs jobs one at a time on one Tempora pool thread."""

    def __init__(self) -> None:
        super().__init__(1)
