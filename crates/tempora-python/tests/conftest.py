"""Shared fixtures of the package's own tests: the database servers on
loopback (the same ones the Rust tests use), each test with a table, key or
collection prefix of its own."""

from __future__ import annotations

import os
import sys
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

POSTGRES_URL = os.environ.get("TEMPORA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL_URL = os.environ.get("TEMPORA_TEST_MYSQL", "mysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("TEMPORA_TEST_REDIS", "redis://127.0.0.1:6379/0")
MONGODB_URL = os.environ.get("TEMPORA_TEST_MONGODB", "mongodb://127.0.0.1:27017/tempora_python")


@pytest.fixture
def prefix() -> str:
    """A table, key or collection prefix no other test uses."""
    return f"py{uuid.uuid4().hex[:10]}_"


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/jobs.sqlite"
