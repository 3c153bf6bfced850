"""Shared fixtures of the package's own tests: the database servers on
loopback (the same ones the Rust tests use), each test with a table, key or
collection prefix of its own."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import sys
import uuid
from typing import Dict, Set
from urllib.parse import unquote, urlparse

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

POSTGRES_URL = os.environ.get("TEMPORA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL_URL = os.environ.get("TEMPORA_TEST_MYSQL", "mysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("TEMPORA_TEST_REDIS", "redis://127.0.0.1:6379/0")
MONGODB_URL = os.environ.get("TEMPORA_TEST_MONGODB", "mongodb://127.0.0.1:27017/tempora_python")


KINDS = ["sqlite", "postgresql", "mysql", "redis", "mongodb"]

#: The servers each prefix was used on, so that its cleanup visits them.
_USED: Dict[str, Set[str]] = {}


def uses(prefix: str, kind: str) -> None:
    """Notes that tables, keys or collections under ``prefix`` may be left
    on the server of ``kind``: the ``prefix`` fixture drops them."""
    _USED.setdefault(prefix, set()).add(kind)


def make_store(kind: str, prefix: str, sqlite_url: str):
    """A store object of ``kind`` under ``prefix`` (cleaned up with it)."""
    from tempora.jobstores.mongodb import MongoDBJobStore
    from tempora.jobstores.redis import RedisJobStore
    from tempora.jobstores.sqlalchemy import SQLAlchemyJobStore

    uses(prefix, kind)
    if kind == "sqlite":
        return SQLAlchemyJobStore(url=sqlite_url, tablename=prefix)
    if kind == "postgresql":
        return SQLAlchemyJobStore(url=POSTGRES_URL, tablename=prefix)
    if kind == "mysql":
        return SQLAlchemyJobStore(url=MYSQL_URL, tablename=prefix)
    if kind == "redis":
        return RedisJobStore(url=REDIS_URL, jobs_key=prefix)
    return MongoDBJobStore(url=MONGODB_URL, collection=prefix)


@pytest.fixture
def prefix():
    """A table, key or collection prefix no other test uses; what the test
    made under it on the servers is dropped afterwards."""
    value = f"py{uuid.uuid4().hex[:10]}_"
    yield value
    for kind in sorted(_USED.pop(value, set())):
        if kind != "sqlite":  # a file under the test's tmp_path
            DROPS[kind](value)


def _run(*command: str, stdin: str = "") -> str:
    if shutil.which(command[0]) is None:
        raise RuntimeError(f"cleanup: {command[0]} is not installed (it comes with the server's package)")
    return subprocess.run(command, input=stdin, capture_output=True, text=True, check=True, timeout=60).stdout


def _drop_postgresql(prefix: str) -> None:
    _run("psql", "-v", "ON_ERROR_STOP=1", "-qAt", POSTGRES_URL, stdin=f"""
        DO $$ DECLARE t text; BEGIN
          FOR t IN SELECT tablename FROM pg_tables WHERE starts_with(tablename, '{prefix}') LOOP
            EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', t);
          END LOOP;
          FOR t IN SELECT proname FROM pg_proc WHERE starts_with(proname, '{prefix}') LOOP
            EXECUTE format('DROP FUNCTION IF EXISTS %I() CASCADE', t);
          END LOOP;
        END $$;""")


def _drop_mysql(prefix: str) -> None:
    url = urlparse(MYSQL_URL)
    login = ["-h", url.hostname or "127.0.0.1", "-P", str(url.port or 3306), "-u", unquote(url.username or "root")]
    if url.password:
        login.append(f"-p{unquote(url.password)}")
    database = url.path.lstrip("/")
    tables = _run("mysql", *login, "-N", "-e",
                  f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{database}' "
                  f"AND table_name LIKE '{prefix.replace('_', chr(92) + '_')}%'").split()
    if tables:
        _run("mysql", *login, database, "-e", "DROP TABLE IF EXISTS " + ", ".join(f"`{t}`" for t in tables))


def _drop_redis(prefix: str) -> None:
    keys = _run("redis-cli", "-u", REDIS_URL, "--scan", "--pattern", f"{prefix}*").split()
    if keys:
        _run("redis-cli", "-u", REDIS_URL, "DEL", *keys)


def _bson_strings(fields: Dict[str, str]) -> bytes:
    body = b"".join(b"\x02" + key.encode() + b"\x00" + struct.pack("<i", len(value.encode()) + 1)
                    + value.encode() + b"\x00" for key, value in fields.items())
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def _drop_mongodb(prefix: str) -> None:
    """Drops the store's collections with the wire protocol's OP_MSG (the
    tests have no MongoDB driver); a collection that is not there is fine."""
    url = urlparse(MONGODB_URL)
    database = url.path.lstrip("/") or "test"
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 27017), timeout=30) as connection:
        for number, name in enumerate(("jobs", "runs", "nodes"), start=1):
            document = _bson_strings({"drop": prefix + name, "$db": database})
            message = struct.pack("<IB", 0, 0) + document  # flag bits, then a section of kind 0
            connection.sendall(struct.pack("<iiii", 16 + len(message), number, 0, 2013) + message)
            length = struct.unpack("<i", _read(connection, 4))[0]
            _read(connection, length - 4)


def _read(connection: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise RuntimeError("cleanup: the MongoDB server closed the connection")
        data += chunk
    return data


DROPS = {"postgresql": _drop_postgresql, "mysql": _drop_mysql, "redis": _drop_redis, "mongodb": _drop_mongodb}


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/jobs.sqlite"
