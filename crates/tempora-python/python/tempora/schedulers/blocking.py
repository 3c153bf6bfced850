"""A scheduler whose ``start()`` runs until it is shut down."""

from __future__ import annotations

import threading

from .base import BaseScheduler

__all__ = ["BlockingScheduler"]


class BlockingScheduler(BaseScheduler):
    """``start()`` blocks the calling thread until ``shutdown()`` (from a job,
    a listener or another thread) or Ctrl-C."""

    _stop_event: threading.Event

    def start(self, paused: bool = False) -> None:
        self._stop_event = threading.Event()
        super().start(paused)
        try:
            while not self._stop_event.wait(0.5):
                pass
        except (KeyboardInterrupt, SystemExit):
            if self.running:
                super().shutdown(wait=True)
            raise

    def shutdown(self, wait: bool = True) -> None:
        stop = getattr(self, "_stop_event", None)
        if stop is not None and threading.current_thread() is not threading.main_thread():
            # Called from a job: the engine must not wait for that job itself.
            wait = False
        super().shutdown(wait)
        if stop is not None:
            stop.set()
