"""Thread and process pools."""

from __future__ import annotations

import concurrent.futures
from typing import Any, Optional

from .base import BaseExecutor

__all__ = ["ThreadPoolExecutor", "ProcessPoolExecutor", "BasePoolExecutor"]


class BasePoolExecutor(BaseExecutor):
    pass


class ThreadPoolExecutor(BasePoolExecutor):
    """Runs jobs on Tempora's thread pool of ``max_workers`` threads."""

    kind = "thread"

    def __init__(self, max_workers: int = 10, pool_kwargs: Optional[dict] = None) -> None:
        super().__init__(max_workers)


class ProcessPoolExecutor(BasePoolExecutor):
    """Runs jobs in a pool of ``max_workers`` Python processes
    (``concurrent.futures.ProcessPoolExecutor``); a Tempora pool thread waits
    for each run. Callables and arguments must pickle."""

    kind = "process"

    def __init__(self, max_workers: int = 10, pool_kwargs: Optional[dict] = None) -> None:
        super().__init__(max_workers)
        self.max_workers = int(max_workers)
        self._pool_kwargs = pool_kwargs or {}
        self._pool: Optional[concurrent.futures.ProcessPoolExecutor] = None

    def submit(self, func: Any, args: Any, kwargs: Any) -> Any:
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(self.max_workers, **self._pool_kwargs)
        return self._pool.submit(func, *args, **kwargs).result()

    def shutdown(self, wait: bool = True) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait)
            self._pool = None
