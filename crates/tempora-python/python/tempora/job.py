"""A job: a callable, its arguments, a trigger and options (APScheduler's ``Job``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from inspect import isclass, ismethod
from typing import TYPE_CHECKING, Any, Dict, List, Optional
from uuid import uuid4

from .triggers.base import BaseTrigger
from .util import check_callable_args, convert_to_datetime, get_callable_name, obj_to_ref, ref_to_obj

if TYPE_CHECKING:
    from .schedulers.base import BaseScheduler

__all__ = ["Job"]


class Job:
    """A job as the scheduler holds it; a snapshot whose methods act on the scheduler.

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
    :var int max_instances: runs of the job at the same time, at most (across
        every scheduler sharing its store)
    :var next_run_time: the next run, ``None`` while paused
    """

    __slots__ = ("_scheduler", "_jobstore_alias", "id", "trigger", "executor", "func", "func_ref", "args",
                 "kwargs", "name", "misfire_grace_time", "coalesce", "max_instances", "next_run_time",
                 "__weakref__")

    id: str
    trigger: BaseTrigger
    executor: str
    func: Any
    func_ref: Optional[str]
    args: Any
    kwargs: Any
    name: str
    misfire_grace_time: Optional[float]
    coalesce: bool
    max_instances: int
    next_run_time: Optional[datetime]

    def __init__(self, scheduler: "BaseScheduler", id: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__()
        self._scheduler = scheduler
        self._jobstore_alias: Optional[str] = None
        self._modify(id=id or uuid4().hex, **kwargs)

    @property
    def pending(self) -> bool:
        """True until the job is in a store (APScheduler's "pending")."""
        return self._jobstore_alias is None

    def modify(self, **changes: Any) -> "Job":
        """Changes the job (see ``BaseScheduler.modify_job``)."""
        self._refresh(self._scheduler.modify_job(self.id, self._jobstore_alias, **changes))
        return self

    def reschedule(self, trigger: Any, **trigger_args: Any) -> "Job":
        """Gives the job a new trigger (see ``BaseScheduler.reschedule_job``)."""
        self._refresh(self._scheduler.reschedule_job(self.id, self._jobstore_alias, trigger, **trigger_args))
        return self

    def pause(self) -> "Job":
        """Pauses the job: it runs again after ``resume()``."""
        self._refresh(self._scheduler.pause_job(self.id, self._jobstore_alias))
        return self

    def resume(self) -> "Job":
        """Resumes the job from its trigger's next fire time."""
        self._refresh(self._scheduler.resume_job(self.id, self._jobstore_alias))
        return self

    def remove(self) -> None:
        """Removes the job from its store."""
        self._scheduler.remove_job(self.id, self._jobstore_alias)

    def _refresh(self, job: Any) -> None:
        if isinstance(job, Job):
            for slot in Job.__slots__:
                if slot not in ("__weakref__", "_scheduler") and hasattr(job, slot):
                    setattr(self, slot, getattr(job, slot))

    def _get_run_times(self, now: datetime) -> List[datetime]:
        """The fire times from ``next_run_time`` up to ``now``."""
        run_times = []
        next_run_time = self.next_run_time
        while next_run_time and next_run_time <= now:
            run_times.append(next_run_time)
            next_run_time = self.trigger.get_next_fire_time(next_run_time, now)
        return run_times

    def _modify(self, **changes: Any) -> None:
        """Checks and sets attributes (APScheduler's rules)."""
        approved: Dict[str, Any] = {}
        if "id" in changes:
            value = changes.pop("id")
            if not isinstance(value, str):
                raise TypeError("id must be a nonempty string")
            if hasattr(self, "id"):
                raise ValueError("The job ID may not be changed")
            approved["id"] = value
        if "func" in changes or "args" in changes or "kwargs" in changes:
            func = changes.pop("func") if "func" in changes else self.func
            args = changes.pop("args") if "args" in changes else self.args
            kwargs = changes.pop("kwargs") if "kwargs" in changes else self.kwargs
            if isinstance(func, str):
                func_ref: Optional[str] = func
                func = ref_to_obj(func)
            elif callable(func):
                try:
                    func_ref = obj_to_ref(func)
                except ValueError:
                    func_ref = None
            else:
                raise TypeError("func must be a callable or a textual reference to one")
            if not hasattr(self, "name") and changes.get("name", None) is None:
                changes["name"] = get_callable_name(func)
            if isinstance(args, str) or not isinstance(args, Iterable):
                raise TypeError("args must be a non-string iterable")
            if isinstance(kwargs, str) or not isinstance(kwargs, Mapping):
                raise TypeError("kwargs must be a dict-like object")
            check_callable_args(func, args, kwargs)
            approved.update(func=func, func_ref=func_ref, args=args, kwargs=kwargs)
        if "name" in changes:
            value = changes.pop("name")
            if not value or not isinstance(value, str):
                raise TypeError("name must be a nonempty string")
            approved["name"] = value
        if "misfire_grace_time" in changes:
            value = changes.pop("misfire_grace_time")
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0):
                raise TypeError("misfire_grace_time must be either None or a positive integer")
            approved["misfire_grace_time"] = value
        if "coalesce" in changes:
            approved["coalesce"] = bool(changes.pop("coalesce"))
        if "max_instances" in changes:
            value = changes.pop("max_instances")
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise TypeError("max_instances must be a positive integer")
            approved["max_instances"] = value
        if "trigger" in changes:
            trigger = changes.pop("trigger")
            if not isinstance(trigger, BaseTrigger):
                raise TypeError(f"Expected a trigger instance, got {trigger.__class__.__name__} instead")
            approved["trigger"] = trigger
        if "executor" in changes:
            value = changes.pop("executor")
            if not isinstance(value, str):
                raise TypeError("executor must be a string")
            approved["executor"] = value
        if "next_run_time" in changes:
            value = changes.pop("next_run_time")
            approved["next_run_time"] = convert_to_datetime(value, self._scheduler.timezone, "next_run_time")
        if changes:
            raise AttributeError(f"The following are not modifiable attributes of Job: {', '.join(changes)}")
        for key, value in approved.items():
            setattr(self, key, value)

    def __getstate__(self) -> Dict[str, Any]:
        if not self.func_ref:
            raise ValueError(
                f"This Job cannot be serialized since the reference to its callable ({self.func!r}) could not "
                "be determined. Consider giving a textual reference (module:function name) instead."
            )
        if ismethod(self.func) and not isclass(self.func.__self__) and obj_to_ref(self.func) == self.func_ref:
            args = (self.func.__self__,) + tuple(self.args)
        else:
            args = self.args
        return {
            "version": 1,
            "id": self.id,
            "func": self.func_ref,
            "trigger": self.trigger,
            "executor": self.executor,
            "args": args,
            "kwargs": self.kwargs,
            "name": self.name,
            "misfire_grace_time": self.misfire_grace_time,
            "coalesce": self.coalesce,
            "max_instances": self.max_instances,
            "next_run_time": self.next_run_time,
        }

    def __setstate__(self, state: Dict[str, Any]) -> None:
        if state.get("version", 1) > 1:
            raise ValueError(f"Job has version {state['version']}, but only version 1 can be handled")
        self.id = state["id"]
        self.func_ref = state["func"]
        self.func = ref_to_obj(self.func_ref)
        self.trigger = state["trigger"]
        self.executor = state["executor"]
        self.args = state["args"]
        self.kwargs = state["kwargs"]
        self.name = state["name"]
        self.misfire_grace_time = state["misfire_grace_time"]
        self.coalesce = state["coalesce"]
        self.max_instances = state["max_instances"]
        self.next_run_time = state["next_run_time"]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Job):
            return self.id == other.id
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<Job (id={self.id} name={self.name})>"

    def __str__(self) -> str:
        if hasattr(self, "next_run_time"):
            if self.next_run_time:
                status = "next run at: " + self.next_run_time.strftime("%Y-%m-%d %H:%M:%S %Z")
            else:
                status = "paused"
        else:
            status = "pending"
        return f"{self.name} (trigger: {self.trigger}, {status})"
