"""The executors' base: where a job's runs execute."""

from __future__ import annotations

from datetime import datetime

__all__ = ["BaseExecutor", "MaxInstancesReachedError"]


class MaxInstancesReachedError(Exception):
    """A job already runs its ``max_instances`` runs."""

    def __init__(self, job: object) -> None:
        super().__init__(f'Job "{getattr(job, "id", job)}" has already reached its maximum number of instances')


_ = datetime


class BaseExecutor:
    """An executor: which of Tempora's pools runs a job's calls, and how.

    Every executor is a Tempora thread pool of ``max_workers`` threads; the
    Python callable runs on one of its threads (with the GIL taken only
    while Python runs), in a process of a process pool, or as a task on the
    program's asyncio loop.
    """

    #: How the callable runs: ``"thread"``, ``"process"`` or ``"asyncio"``.
    kind = "thread"

    def __init__(self, max_workers: int = 10) -> None:
        max_workers = int(max_workers)
        if max_workers < 1:
            raise ValueError(f"max_workers: {max_workers} is not at least 1")
        self.max_workers = max_workers

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (max_workers={self.max_workers})>"
