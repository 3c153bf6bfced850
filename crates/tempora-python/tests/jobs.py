"""Functions that tests schedule by reference ("jobs:name"), as a program's
own module would hold them."""

from __future__ import annotations

import os
import threading
from typing import Any, List

calls: List[Any] = []
called = threading.Event()


def record(*args: Any, **kwargs: Any) -> str:
    calls.append((args, kwargs))
    called.set()
    return "recorded"


def add(x: int, y: int) -> int:
    return x + y


def fail() -> None:
    raise ValueError("the job failed")


def append_line(path: str) -> None:
    """Appends this process's id to ``path`` (one line a run, atomically)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{os.getpid()}\n".encode())
    finally:
        os.close(fd)


def pid() -> int:
    """The id of the process the job runs in."""
    return os.getpid()


def crash() -> None:
    """Ends the process it runs in at once, as a crash would."""
    os._exit(3)


def square(x: int) -> int:
    return x * x


async def async_add(x: int, y: int) -> int:
    import asyncio

    await asyncio.sleep(0)
    return x + y


class Holder:
    @staticmethod
    def static_add(x: int, y: int) -> int:
        return x + y
