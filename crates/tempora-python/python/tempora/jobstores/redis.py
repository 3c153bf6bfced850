"""The Redis store (Tempora's)."""

from __future__ import annotations

from typing import Any, Optional

from .base import BaseJobStore

__all__ = ["RedisJobStore"]


class RedisJobStore(BaseJobStore):
    """Keeps jobs in Redis.

    :param url: ``redis://host:port/db`` (or give ``host``, ``port``, ``db``, ``password``)
    :param jobs_key: the prefix of Tempora's keys (APScheduler's key name)
    """

    def __init__(self, db: int = 0, jobs_key: Optional[str] = None, run_times_key: Optional[str] = None,
                 pickle_protocol: Any = None, url: Optional[str] = None, host: str = "127.0.0.1",
                 port: int = 6379, password: Optional[str] = None, **connect_args: Any) -> None:
        super().__init__(jobs_key)
        if url is None:
            auth = f":{password}@" if password else ""
            url = f"redis://{auth}{host}:{port}/{db}"
        self._url = url

    def url(self) -> Optional[str]:
        return self._url
