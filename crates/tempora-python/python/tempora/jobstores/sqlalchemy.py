"""SQL stores by URL: SQLite, PostgreSQL, MySQL and MariaDB (Tempora's SQL stores).

Named after APScheduler's ``SQLAlchemyJobStore`` so that its users change
only the import; no SQLAlchemy is involved.
"""

from __future__ import annotations

from typing import Any, Optional

from .base import BaseJobStore

__all__ = ["SQLAlchemyJobStore", "SQLJobStore"]

_DRIVERS = ("+psycopg2", "+psycopg", "+asyncpg", "+pg8000", "+pymysql", "+mysqldb", "+mysqlconnector", "+aiosqlite", "+pysqlite")


def _tempora_url(url: str) -> str:
    """A SQLAlchemy URL as Tempora reads it: the driver suffix dropped,
    ``sqlite:///path`` a path, ``sqlite://`` in memory."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    for driver in _DRIVERS:
        scheme = scheme.replace(driver, "")
    if scheme == "postgresql":
        scheme = "postgres"
    if scheme == "sqlite":
        if rest in ("", "/:memory:"):
            return "sqlite::memory:"
        return rest[1:] if rest.startswith("/") else rest
    return f"{scheme}://{rest}"


class SQLAlchemyJobStore(BaseJobStore):
    """A SQL store by URL: ``sqlite:///jobs.sqlite``, a file path,
    ``postgresql://user@host/db``, ``mysql://user@host/db``.

    :param url: the database URL (SQLAlchemy's forms are accepted)
    :param tablename: the prefix of Tempora's tables (default ``tempora_``)
    :param engine: not supported: Tempora opens its own connections
    """

    def __init__(self, url: Optional[str] = None, engine: Any = None, tablename: Optional[str] = None,
                 metadata: Any = None, pickle_protocol: Any = None, tableschema: Any = None,
                 engine_options: Any = None) -> None:
        if engine is not None:
            raise ValueError("engine: Tempora opens its own connections; give the url instead")
        if not url:
            raise ValueError('Need either "engine" or "url" defined')
        super().__init__(tablename)
        self._url = _tempora_url(url)

    def url(self) -> Optional[str]:
        return self._url

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (url={self._url.split('@')[-1]})>"


SQLJobStore = SQLAlchemyJobStore
