"""Runs coroutine functions as tasks on the program's asyncio loop."""

from __future__ import annotations

from .base import BaseExecutor

__all__ = ["AsyncIOExecutor"]


class AsyncIOExecutor(BaseExecutor):
    """Coroutine functions run as tasks on the scheduler's event loop; plain
    functions on Tempora's thread pool."""

    kind = "asyncio"
