"""The memory store: jobs in this process, lost when it ends."""

from __future__ import annotations

from typing import Optional

from .base import BaseJobStore

__all__ = ["MemoryJobStore"]


class MemoryJobStore(BaseJobStore):
    """Keeps jobs in memory: any callable and any arguments."""

    persistent = False

    def __init__(self) -> None:
        super().__init__()

    def url(self) -> Optional[str]:
        return None
