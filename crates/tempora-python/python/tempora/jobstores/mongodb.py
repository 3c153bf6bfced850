"""The MongoDB store (Tempora's)."""

from __future__ import annotations

from typing import Any, Optional

from .base import BaseJobStore

__all__ = ["MongoDBJobStore"]


class MongoDBJobStore(BaseJobStore):
    """Keeps jobs in MongoDB.

    :param url: ``mongodb://host:port/database`` (or give ``host``, ``port``, ``database``)
    :param collection: the prefix of Tempora's collections
    """

    def __init__(self, database: str = "apscheduler", collection: Optional[str] = None, client: Any = None,
                 pickle_protocol: Any = None, url: Optional[str] = None, host: str = "127.0.0.1",
                 port: int = 27017, **connect_args: Any) -> None:
        if client is not None:
            raise ValueError("client: Tempora opens its own connection; give the url instead")
        super().__init__(collection)
        self._url = url or f"mongodb://{host}:{port}/{database}"

    def url(self) -> Optional[str]:
        return self._url
