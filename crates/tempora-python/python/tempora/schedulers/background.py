"""A scheduler that runs in the background of the program (its own threads)."""

from __future__ import annotations

from typing import Any, Dict

from .base import BaseScheduler

__all__ = ["BackgroundScheduler"]


class BackgroundScheduler(BaseScheduler):
    """Runs Tempora's engine on threads of its own; ``start()`` returns at once.

    ``daemon`` is accepted and has no effect: the engine's threads never keep
    the program from exiting.
    """

    def _configure(self, config: Dict[str, Any]) -> None:
        self._daemon = config.get("daemon", True)
