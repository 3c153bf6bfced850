"""A job as the scheduler holds it: a callable, its arguments, a trigger and options."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

from .triggers.base import BaseTrigger

if TYPE_CHECKING:
    from .schedulers.base import BaseScheduler

__all__ = ["Job"]


class Job:
    """A snapshot of a scheduled job; its methods act on the scheduler.

    :var str id: the job's id
    :var str name: its name (the callable's name by default)
    :var func: the callable
    :var str func_ref: its ``"module:function"`` reference, or ``None``
    :var tuple args: positional arguments
    :var dict kwargs: keyword arguments
    :var trigger: the trigger
    :var str executor: the executor's alias
    :var misfire_grace_time: seconds a run may be late, ``None`` for no limit
    :var bool coalesce: due runs collapse into one
    :var int max_instances: runs of the job at the same time, at most
    :var next_run_time: the next run, ``None`` while paused
    """

    __slots__ = ("_scheduler", "_jobstore_alias", "id", "name", "func", "func_ref", "args", "kwargs",
                 "trigger", "executor", "misfire_grace_time", "coalesce", "max_instances", "next_run_time",
                 "__weakref__")

    def __init__(self, scheduler: "BaseScheduler", **state: Any) -> None:
        self._scheduler = scheduler
        self._jobstore_alias: Optional[str] = state.pop("jobstore", None)
        self.id: str = state["id"]
        self.name: str = state["name"]
        self.func: Callable[..., Any] = state["func"]
        self.func_ref: Optional[str] = state.get("func_ref")
        self.args: Tuple[Any, ...] = tuple(state.get("args", ()))
        self.kwargs: Dict[str, Any] = dict(state.get("kwargs", {}))
        self.trigger: BaseTrigger = state["trigger"]
        self.executor: str = state.get("executor", "default")
        self.misfire_grace_time: Optional[float] = state.get("misfire_grace_time")
        self.coalesce: bool = state.get("coalesce", True)
        self.max_instances: int = state.get("max_instances", 1)
        self.next_run_time: Optional[datetime] = state.get("next_run_time")

    @property
    def pending(self) -> bool:
        """True before the scheduler has started (the job waits for it)."""
        return self._scheduler.state == 0

    def modify(self, **changes: Any) -> "Job":
        """Changes the job's options (see ``BaseScheduler.modify_job``)."""
        job = self._scheduler.modify_job(self.id, self._jobstore_alias, **changes)
        self._update_from(job)
        return self

    def reschedule(self, trigger: Any, **trigger_args: Any) -> "Job":
        """Gives the job a new trigger (see ``BaseScheduler.reschedule_job``)."""
        job = self._scheduler.reschedule_job(self.id, self._jobstore_alias, trigger, **trigger_args)
        self._update_from(job)
        return self

    def pause(self) -> "Job":
        job = self._scheduler.pause_job(self.id, self._jobstore_alias)
        self._update_from(job)
        return self

    def resume(self) -> "Job":
        job = self._scheduler.resume_job(self.id, self._jobstore_alias)
        if job is not None:
            self._update_from(job)
        return self

    def remove(self) -> None:
        self._scheduler.remove_job(self.id, self._jobstore_alias)

    def _update_from(self, job: "Job") -> None:
        for slot in Job.__slots__:
            if slot != "__weakref__":
                setattr(self, slot, getattr(job, slot))

    def _get_run_times(self, now: datetime) -> list:
        """The fire times from ``next_run_time`` up to ``now``."""
        run_times = []
        next_run_time = self.next_run_time
        while next_run_time and next_run_time <= now:
            run_times.append(next_run_time)
            next_run_time = self.trigger.get_next_fire_time(next_run_time, now)
        return run_times

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Job):
            return self.id == other.id
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<Job (id={self.id} name={self.name})>"

    def __str__(self) -> str:
        if self.next_run_time is not None:
            status = "next run at: " + self.next_run_time.strftime("%Y-%m-%d %H:%M:%S %Z")
        else:
            status = "paused"
        return f"{self.name} (trigger: {self.trigger}, {status})"


_ = timedelta
