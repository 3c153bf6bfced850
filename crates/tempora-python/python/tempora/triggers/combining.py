"""Triggers made of other triggers: all of them at once, or any of them."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, Dict, List, Optional, Sequence

from .base import BaseTrigger

__all__ = ["AndTrigger", "BaseCombiningTrigger", "OrTrigger"]


class BaseCombiningTrigger(BaseTrigger):
    __slots__ = ("triggers", "jitter", "timezone")
    triggers: List[BaseTrigger]
    jitter: Optional[float]
    _kind = ""
    _word = ""

    def __init__(self, triggers: Sequence[BaseTrigger], jitter: Optional[float] = None) -> None:
        triggers = list(triggers)
        tz: Optional[tzinfo] = triggers[0].timezone if triggers else None
        for name, value in (("triggers", triggers), ("jitter", jitter), ("timezone", tz), ("_compiled", None)):
            object.__setattr__(self, name, value)
        self._check()

    def to_spec(self) -> Dict[str, Any]:
        """Tempora's form. DIFFERENCE from APScheduler: ``jitter`` belongs to
        the combined triggers; a scheduler refuses a combination with its own."""
        return {"type": self._kind, "triggers": [trigger.to_spec() for trigger in self.triggers]}

    def __str__(self) -> str:
        return f"{self._word}[{', '.join(str(trigger) for trigger in self.triggers)}]"

    def __repr__(self) -> str:
        jitter = f", jitter={self.jitter}" if self.jitter else ""
        return f"<{self.__class__.__name__}({self.triggers!r}{jitter})>"


class AndTrigger(BaseCombiningTrigger):
    """Fires when all of its triggers fire at the same time."""

    __slots__ = ()
    _kind = "all"
    _word = "and"


class OrTrigger(BaseCombiningTrigger):
    """Fires whenever any of its triggers fires."""

    __slots__ = ()
    _kind = "any"
    _word = "or"


_: List[Any] = []
