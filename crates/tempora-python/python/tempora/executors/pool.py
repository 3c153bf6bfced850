"""Thread and process pools."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from concurrent.futures.process import BrokenProcessPool
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
    (``concurrent.futures.ProcessPoolExecutor``, as APScheduler's does); a
    Tempora pool thread waits for each run. Callables and arguments must
    pickle.

    A job whose process dies (a crash, ``os._exit``) ends with
    ``BrokenProcessPool``, reported as an ``EVENT_JOB_ERROR``; the pool is
    then replaced, and the scheduler goes on.
    """

    kind = "process"

    def __init__(self, max_workers: int = 10, pool_kwargs: Optional[dict] = None) -> None:
        super().__init__(max_workers)
        self.max_workers = int(max_workers)
        self._pool_kwargs = pool_kwargs or {}
        self._pool: Optional[concurrent.futures.ProcessPoolExecutor] = None
        self._lock = threading.Lock()
        self._logger = logging.getLogger("tempora.executors.pool")

    def _current_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ProcessPoolExecutor(self.max_workers, **self._pool_kwargs)
            return self._pool

    def _replace(self, broken: concurrent.futures.ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._logger.warning("Process pool is broken; replacing pool with a fresh instance")
                self._pool = None
                broken.shutdown(wait=False)

    def submit(self, func: Any, args: Any, kwargs: Any) -> Any:
        """Runs ``func(*args, **kwargs)`` in a process of the pool and returns
        its value (raises its exception)."""
        pool = self._current_pool()
        try:
            future = pool.submit(func, *args, **kwargs)
        except BrokenProcessPool:
            # Broken by an earlier run that died: a fresh pool takes this one.
            self._replace(pool)
            pool = self._current_pool()
            future = pool.submit(func, *args, **kwargs)
        try:
            return future.result()
        except BrokenProcessPool:
            self._replace(pool)
            raise

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait)
