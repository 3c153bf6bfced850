"""A scheduler for asyncio programs: coroutine jobs run on the program's loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Dict, Optional

from ..executors.asyncio import AsyncIOExecutor
from ..executors.base import BaseExecutor
from .base import BaseScheduler

__all__ = ["AsyncIOScheduler"]


class AsyncIOScheduler(BaseScheduler):
    """Runs coroutine functions as asyncio tasks on the event loop it was
    started in (or ``event_loop``); plain functions run on Tempora's thread
    pool, so they never block the loop."""

    _eventloop: Optional[asyncio.AbstractEventLoop] = None

    def _configure(self, config: Dict[str, Any]) -> None:
        self._eventloop = config.get("event_loop", self._eventloop)

    def _create_default_executor(self) -> BaseExecutor:
        return AsyncIOExecutor()

    def start(self, paused: bool = False) -> None:
        if self._eventloop is None:
            try:
                self._eventloop = asyncio.get_running_loop()
            except RuntimeError:
                self._eventloop = asyncio.new_event_loop()
        super().start(paused)

    def shutdown(self, wait: bool = True) -> None:
        loop = self._eventloop
        if loop is not None and loop.is_running() and _in_loop_thread(loop):
            # Waiting here would hold the loop that coroutine jobs run on.
            wait = False
        super().shutdown(wait)

    def _event_loop(self) -> Optional[asyncio.AbstractEventLoop]:
        return self._eventloop


def _in_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


_ = threading
