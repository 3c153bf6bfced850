"""The scheduler's API, APScheduler 3's, over Tempora's engine.

Every method here turns its arguments into Tempora's (a trigger's JSON
form, a job's task name and JSON arguments) and calls the engine, which
keeps the jobs in its stores and runs them on its pools. Python callables
are Tempora tasks named by their ``"module:function"`` reference; a job in
the memory store may hold any callable and any arguments, kept here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import traceback
import uuid
from datetime import datetime, timedelta, tzinfo
from datetime import datetime as _real_datetime
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from .. import _native
from ..events import (
    CODES, EVENT_ALL, EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED,
    EVENT_JOB_REMOVED, EVENT_JOB_SUBMITTED, EVENT_JOBSTORE_ADDED, JobEvent, JobExecutionEvent, JobSubmissionEvent, SchedulerEvent,
)
from ..executors.asyncio import AsyncIOExecutor
from ..executors.base import BaseExecutor
from ..executors.pool import ProcessPoolExecutor, ThreadPoolExecutor
from ..job import Job
from ..jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError, TransientJobError
from ..jobstores.memory import MemoryJobStore
from ..triggers.base import BaseTrigger, trigger_from_spec
from ..triggers.cron import CronTrigger
from ..triggers.date import DateTrigger
from ..triggers.interval import IntervalTrigger
from ..triggers.calendarinterval import CalendarIntervalTrigger
from ..util import (
    astimezone, check_callable_args, get_localzone, convert_to_datetime, datetime_to_micros, get_callable_name,
    iscoroutinefunction_partial, micros_to_datetime, obj_to_ref, ref_to_obj, undefined, zone_name,
)
from . import SchedulerAlreadyRunningError, SchedulerNotRunningError

__all__ = ["BaseScheduler", "STATE_STOPPED", "STATE_RUNNING", "STATE_PAUSED"]

#: The scheduler is not running.
STATE_STOPPED = 0
#: The scheduler runs jobs.
STATE_RUNNING = 1
#: The scheduler is started but runs no jobs until resumed.
STATE_PAUSED = 2

_STATES = {"stopped": STATE_STOPPED, "running": STATE_RUNNING, "paused": STATE_PAUSED, "shut_down": STATE_STOPPED}

TRIGGER_ALIASES: Dict[str, type] = {
    "date": DateTrigger,
    "interval": IntervalTrigger,
    "cron": CronTrigger,
    "calendarinterval": CalendarIntervalTrigger,
}
STORE_ALIASES: Dict[str, str] = {
    "memory": "tempora.jobstores.memory:MemoryJobStore",
    "sqlalchemy": "tempora.jobstores.sqlalchemy:SQLAlchemyJobStore",
    "sql": "tempora.jobstores.sqlalchemy:SQLAlchemyJobStore",
    "redis": "tempora.jobstores.redis:RedisJobStore",
    "mongodb": "tempora.jobstores.mongodb:MongoDBJobStore",
}
EXECUTOR_ALIASES: Dict[str, str] = {
    "threadpool": "tempora.executors.pool:ThreadPoolExecutor",
    "processpool": "tempora.executors.pool:ProcessPoolExecutor",
    "asyncio": "tempora.executors.asyncio:AsyncIOExecutor",
    "debug": "tempora.executors.pool:ThreadPoolExecutor",
}

_OPTION_NAMES = ("timezone", "job_defaults", "jobstores", "executors", "jobstore_retry_interval", "logger", "daemon", "event_loop")


def _grace(value: Any) -> Any:
    """A misfire grace time as Tempora reads it: ``"unlimited"`` for ``None``, seconds otherwise."""
    if value is None:
        return "unlimited"
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise TypeError("misfire_grace_time must be either None or a positive integer")
    return value


def _grace_seconds(text: Optional[str]) -> Optional[float]:
    from ..triggers.base import _seconds

    return _seconds(text)


def _check_positive_int(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive integer")
    return value


class BaseScheduler:
    """What every scheduler does: add, change and remove jobs, listen to
    events; the engine is Tempora's.

    Options (keyword arguments, or ``configure()``; a ``gconfig`` mapping
    may use the ``apscheduler.`` prefix):

    * ``timezone`` — the default zone of triggers (default: the local zone)
    * ``job_defaults`` — ``misfire_grace_time`` (default ``None``: no limit),
      ``coalesce`` (default ``True``), ``max_instances`` (default 1)
    * ``jobstores`` — alias → store (object or ``{"type": "sqlalchemy", "url": ...}``)
    * ``executors`` — alias → executor (object or ``{"type": "threadpool", "max_workers": 20}``)
    """

    def __init__(self, gconfig: Optional[Mapping[str, Any]] = None, **options: Any) -> None:
        self._logger = logging.getLogger("tempora.scheduler")
        self._lock = threading.RLock()
        self._listeners: List[Tuple[Callable[[Any], Any], int]] = []
        self._native_scheduler: Optional[_native.NativeScheduler] = None
        self._local: Dict[str, Tuple[Any, Tuple[Any, ...], Dict[str, Any]]] = {}
        self._outcomes: Dict[Tuple[str, int], Tuple[Any, Optional[BaseException], Optional[str]]] = {}
        self._resolved: Dict[str, Any] = {}
        self._job_executors: Dict[str, str] = {}
        self._want_outcomes = False
        self._explicit_removals: set = set()
        self._held_removals: Dict[str, JobEvent] = {}
        self._stopped_once = False
        self.timezone: tzinfo = get_localzone()
        self._job_defaults: Dict[str, Any] = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
        self._jobstores: Dict[str, BaseJobStore] = {}
        self._executors: Dict[str, BaseExecutor] = {}
        self._configure_options(dict(gconfig or {}), "apscheduler.", options)

    # ---------------------------------------------------------------- config

    def configure(self, gconfig: Optional[Mapping[str, Any]] = None, prefix: str = "apscheduler.", **options: Any) -> None:
        """Sets options, as the constructor does; refused while running."""
        if self.state != STATE_STOPPED:
            raise SchedulerAlreadyRunningError
        if self._native_scheduler is not None:
            raise SchedulerAlreadyRunningError
        self._configure_options(dict(gconfig or {}), prefix, options)

    def _configure_options(self, gconfig: Dict[str, Any], prefix: str, options: Dict[str, Any]) -> None:
        config: Dict[str, Any] = {}
        prefix = prefix or ""
        for key, value in gconfig.items():
            if prefix and key.startswith(prefix):
                key = key[len(prefix):]
            elif prefix:
                continue
            _set_dotted(config, key, value)
        for key, value in options.items():
            _set_dotted(config, key, value)
        for key in config:
            if key not in _OPTION_NAMES:
                raise TypeError(f"{key}: is not a scheduler option (one of {', '.join(_OPTION_NAMES)})")
        if "timezone" in config:
            self.timezone = astimezone(config["timezone"])
        if "logger" in config:
            logger = config["logger"]
            self._logger = logging.getLogger(logger) if isinstance(logger, str) else logger
        for key, value in dict(config.get("job_defaults", {})).items():
            if key == "misfire_grace_time":
                _grace(value)
            elif key == "coalesce":
                value = _as_bool(value)
            elif key == "max_instances":
                value = _check_positive_int("max_instances", int(value))
            else:
                raise TypeError(f"job_defaults: {key!r} is not misfire_grace_time, coalesce or max_instances")
            self._job_defaults[key] = value
        for alias, store in dict(config.get("jobstores", {})).items():
            self._jobstores[alias] = _make_plugin(store, STORE_ALIASES, BaseJobStore, "jobstore")
        for alias, executor in dict(config.get("executors", {})).items():
            self._executors[alias] = _make_plugin(executor, EXECUTOR_ALIASES, BaseExecutor, "executor")
        self._configure(config)

    def _configure(self, config: Dict[str, Any]) -> None:
        """For subclasses: the options of their own."""

    # ---------------------------------------------------------------- engine

    def _engine(self) -> _native.NativeScheduler:
        with self._lock:
            if self._native_scheduler is not None and self._native_scheduler.state() != "shut_down":
                return self._native_scheduler
            implicit_store = "default" not in self._jobstores
            self._jobstores.setdefault("default", MemoryJobStore())
            self._executors.setdefault("default", self._create_default_executor())
            defaults = {
                "misfire_grace_time": _grace(self._job_defaults["misfire_grace_time"]),
                "coalesce": self._job_defaults["coalesce"],
                "max_instances": self._job_defaults["max_instances"],
            }
            spec = {
                "timezone": zone_name(self.timezone),
                "job_defaults": defaults,
                "stores": [{"name": alias, "url": store.url(), "prefix": store.prefix}
                           for alias, store in self._jobstores.items()],
                "executors": [{"name": alias, "max_workers": executor.max_workers}
                              for alias, executor in self._executors.items()],
            }
            # A scheduler started again after shutdown() keeps its memory
            # stores' jobs, as APScheduler's does.
            native = _native.NativeScheduler(json.dumps(spec), self._dispatch, self._forget, self._native_scheduler)
            self._native_scheduler = native
            self._subscribe()
        if implicit_store:
            self._notify(SchedulerEvent(EVENT_JOBSTORE_ADDED, "default"))
        return native

    def _create_default_executor(self) -> BaseExecutor:
        return ThreadPoolExecutor()

    @property
    def state(self) -> int:
        """``STATE_STOPPED`` (0), ``STATE_RUNNING`` (1) or ``STATE_PAUSED`` (2)."""
        native = self._native_scheduler
        return STATE_STOPPED if native is None else _STATES[native.state()]

    @property
    def running(self) -> bool:
        return self.state != STATE_STOPPED

    def start(self, paused: bool = False) -> None:
        """Starts processing jobs (``paused``: not until ``resume()``)."""
        if self.state != STATE_STOPPED:
            raise SchedulerAlreadyRunningError
        self._check_uwsgi()
        native = self._engine()
        self._start_engine(native, paused)

    def _start_engine(self, native: _native.NativeScheduler, paused: bool) -> None:
        native.start(paused)

    def shutdown(self, wait: bool = True) -> None:
        """Stops the scheduler, waiting for running jobs when ``wait``."""
        if self.state == STATE_STOPPED:
            raise SchedulerNotRunningError
        native = self._engine()
        native.shutdown(wait)
        for executor in self._executors.values():
            if isinstance(executor, ProcessPoolExecutor):
                executor.shutdown(wait)

    def pause(self) -> None:
        """Stops running jobs until ``resume()``."""
        if self.state == STATE_STOPPED:
            raise SchedulerNotRunningError
        if self.state == STATE_RUNNING:
            self._wrap(self._engine().pause)

    def resume(self) -> None:
        if self.state == STATE_STOPPED:
            raise SchedulerNotRunningError
        if self.state == STATE_PAUSED:
            self._wrap(self._engine().resume)

    def wakeup(self) -> None:
        """Nothing to do: Tempora's engine wakes itself when jobs change."""

    def _check_uwsgi(self) -> None:
        uwsgi = sys.modules.get("uwsgi")
        if uwsgi is not None and not getattr(uwsgi, "opt", {}).get("enable-threads"):
            raise RuntimeError(
                'The scheduler seems to be running under uWSGI, but threads have been disabled. '
                'You must run uWSGI with the --enable-threads option for the scheduler to work.'
            )

    # ---------------------------------------------------------------- stores, executors

    def add_jobstore(self, jobstore: Union[str, BaseJobStore], alias: str = "default", **jobstore_opts: Any) -> None:
        """Adds a job store under ``alias``."""
        store = _make_plugin(jobstore if not isinstance(jobstore, str) else dict(type=jobstore, **jobstore_opts),
                             STORE_ALIASES, BaseJobStore, "jobstore")
        if alias in self._jobstores and self._native_scheduler is not None:
            raise ValueError(f'This scheduler already has a job store by the alias of "{alias}"')
        self._jobstores[alias] = store
        if self._native_scheduler is not None:
            self._wrap(self._native_scheduler.add_store, alias, store.url(), store.prefix)

    def remove_jobstore(self, alias: str, shutdown: bool = True) -> None:
        if alias not in self._jobstores:
            raise KeyError(f"No such job store: {alias}")
        del self._jobstores[alias]
        if self._native_scheduler is not None:
            self._wrap(self._native_scheduler.remove_store, alias)

    def add_executor(self, executor: Union[str, BaseExecutor], alias: str = "default", **executor_opts: Any) -> None:
        made = _make_plugin(executor if not isinstance(executor, str) else dict(type=executor, **executor_opts),
                            EXECUTOR_ALIASES, BaseExecutor, "executor")
        if alias in self._executors and self._native_scheduler is not None:
            raise ValueError(f'This scheduler already has an executor by the alias of "{alias}"')
        self._executors[alias] = made
        if self._native_scheduler is not None:
            self._wrap(self._native_scheduler.add_executor, alias, made.max_workers)

    def remove_executor(self, alias: str, shutdown: bool = True) -> None:
        if alias not in self._executors:
            raise KeyError(f"No such executor: {alias}")
        del self._executors[alias]
        if self._native_scheduler is not None:
            self._wrap(self._native_scheduler.remove_executor, alias)

    # ---------------------------------------------------------------- listeners

    def add_listener(self, callback: Callable[[Any], Any], mask: int = EVENT_ALL) -> None:
        """Calls ``callback(event)`` for every event whose code is in ``mask``."""
        with self._lock:
            self._listeners.append((callback, mask))
            self._subscribe()

    def remove_listener(self, callback: Callable[[Any], Any]) -> None:
        with self._lock:
            self._listeners = [(cb, mask) for cb, mask in self._listeners if cb != callback]
            self._subscribe()

    def _subscribe(self) -> None:
        """Asks the engine for the events the listeners want, and no others:
        an event nobody listens to is not built, nor does it take the GIL."""
        native = self._native_scheduler
        if native is None:
            return
        wanted = 0
        for _, mask in self._listeners:
            wanted |= mask
        if wanted & EVENT_JOB_REMOVED:
            # A removal held back until the job's run ends (see _on_event)
            # is let go by the run's outcome.
            wanted |= EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
        self._want_outcomes = bool(wanted & (EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED))
        if not self._want_outcomes:
            self._outcomes.clear()
        native.set_listener(self._on_event, [kind for kind, code in CODES.items() if code & wanted])

    def _on_event(self, event: Dict[str, Any]) -> None:
        code = CODES.get(event["kind"])
        if code is None:
            return
        job_id = event.get("job_id")
        if event["kind"] == "job_removed" and job_id is not None:
            # A one-off job leaves its store before its run: the callable
            # kept for it goes after the run (see _forget), and listeners
            # hear of the removal after the run's end, as APScheduler's do.
            if job_id not in self._explicit_removals:
                self._held_removals[job_id] = JobEvent(EVENT_JOB_REMOVED, job_id, event.get("store"))
                return
            self._explicit_removals.discard(job_id)
        times: List[datetime] = [_real_datetime.fromtimestamp(t / 1e6, self.timezone) for t in event["scheduled_run_times"]]
        obj: SchedulerEvent
        if code in (EVENT_JOB_EXECUTED, EVENT_JOB_ERROR, EVENT_JOB_MISSED):
            latest = event["scheduled_run_times"][-1] if event["scheduled_run_times"] else None
            retval, exception, trace = self._outcomes.pop((job_id or "", latest or 0), (None, None, None))
            if code == EVENT_JOB_EXECUTED and retval is None and event.get("return_value") not in (None, "null"):
                retval = json.loads(event["return_value"])
            if code == EVENT_JOB_ERROR and exception is None and event.get("error"):
                exception = RuntimeError(event["error"])
            obj = JobExecutionEvent(code, job_id or "", event.get("store"), times[-1] if times else None,
                                    retval, exception, trace)
        elif code in (EVENT_JOB_SUBMITTED, EVENT_JOB_MAX_INSTANCES):
            obj = JobSubmissionEvent(code, job_id or "", event.get("store"), times)
        elif job_id is not None:
            obj = JobEvent(code, job_id, event.get("store"))
        else:
            obj = SchedulerEvent(code, event.get("store") or event.get("executor"))
        self._notify(obj)
        if code in (EVENT_JOB_EXECUTED, EVENT_JOB_ERROR, EVENT_JOB_MISSED, EVENT_JOB_MAX_INSTANCES) and job_id:
            held = self._held_removals.pop(job_id, None)
            if held is not None:
                self._notify(held)

    def _notify(self, event: SchedulerEvent) -> None:
        for callback, mask in list(self._listeners):
            if event.code & mask:
                try:
                    callback(event)
                except Exception:
                    self._logger.exception("Error notifying listener")

    # ---------------------------------------------------------------- runs

    def _dispatch(self, task: str, job_id: str, args_json: str, run_times: List[int]) -> str:
        """Runs one run of job ``job_id`` (called by the engine, on a pool thread)."""
        local = self._local.get(job_id)
        if local is not None:
            func, args, kwargs = local
        else:
            func = self._resolved.get(task)
            if func is None:
                func = self._resolved[task] = ref_to_obj(task)
            payload = json.loads(args_json) or {}
            args, kwargs = tuple(payload.get("args", ())), dict(payload.get("kwargs", {}))
        latest = run_times[-1] if run_times else 0
        try:
            retval = self._call(job_id, func, args, kwargs)
        except BaseException as exc:
            if self._want_outcomes:
                self._outcomes[(job_id, latest)] = (None, exc, traceback.format_exc())
            self._logger.exception('Job "%s" raised an exception', job_id)
            raise
        if self._want_outcomes:
            self._outcomes[(job_id, latest)] = (retval, None, None)
        try:
            return json.dumps(retval)
        except (TypeError, ValueError):
            return json.dumps(repr(retval))

    def _forget(self, job_id: str) -> None:
        """Lets go of job ``job_id``, which the engine removed, once its last
        run is over (called by the engine)."""
        self._local.pop(job_id, None)
        self._job_executors.pop(job_id, None)

    def _call(self, job_id: str, func: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        executor = self._executor_of(job_id)
        if iscoroutinefunction_partial(func):
            loop = self._event_loop()
            if loop is None:
                return asyncio.run(func(*args, **kwargs))
            return asyncio.run_coroutine_threadsafe(func(*args, **kwargs), loop).result()
        if isinstance(executor, ProcessPoolExecutor):
            return executor.submit(func, args, kwargs)
        return func(*args, **kwargs)

    def _event_loop(self) -> Optional[asyncio.AbstractEventLoop]:
        return None

    def _executor_of(self, job_id: str) -> Optional[BaseExecutor]:
        if all(type(executor) is ThreadPoolExecutor or isinstance(executor, AsyncIOExecutor)
               for executor in self._executors.values()):
            return None
        alias = self._job_executors.get(job_id)
        if alias is None:
            text = self._engine().get_job(job_id)
            alias = json.loads(text)["executor"] if text else "default"
            self._job_executors[job_id] = alias
        return self._executors.get(alias)

    # ---------------------------------------------------------------- jobs

    def add_job(
        self,
        func: Union[Callable[..., Any], str],
        trigger: Union[BaseTrigger, str, None] = None,
        args: Optional[Iterable[Any]] = None,
        kwargs: Optional[Mapping[str, Any]] = None,
        id: Optional[str] = None,
        name: Optional[str] = None,
        misfire_grace_time: Any = undefined,
        coalesce: Any = undefined,
        max_instances: Any = undefined,
        next_run_time: Any = undefined,
        jobstore: str = "default",
        executor: str = "default",
        replace_existing: bool = False,
        **trigger_args: Any,
    ) -> Job:
        """Adds a job: ``func`` (a callable or a ``"module:function"``
        reference) called with ``args`` and ``kwargs`` on ``trigger`` (an
        object or ``"date"``, ``"interval"``, ``"cron"``, built from
        ``trigger_args``); returns the job.

        A persistent store keeps the callable by reference and the arguments
        as JSON: a callable without a reference (a lambda, a nested
        function) or arguments that are not JSON raise ``ValueError``.
        """
        if isinstance(func, str):
            ref: Optional[str] = func
            func = ref_to_obj(func)
        else:
            ref = None
        if not callable(func):
            raise TypeError("func must be a callable or a textual reference to one")
        args_tuple = tuple(args) if args is not None else ()
        kwargs_dict = dict(kwargs) if kwargs is not None else {}
        if isinstance(args, str) or not hasattr(args_tuple, "__iter__"):
            raise TypeError("args must be a non-string iterable")
        check_callable_args(func, args_tuple, kwargs_dict)
        trigger_obj = self._create_trigger(trigger, trigger_args)
        job_id = id or uuid.uuid4().hex
        if not isinstance(job_id, str):
            raise TypeError("id must be a nonempty string")
        if jobstore not in self._jobstores and jobstore != "default":
            raise KeyError(f"No such job store: {jobstore}")
        store = self._jobstores.get(jobstore)
        persistent = store is not None and store.persistent
        if ref is None:
            try:
                ref = obj_to_ref(func)
            except ValueError:
                if persistent:
                    raise TransientJobError(job_id) from None
                ref = None
        payload: Any = {"args": list(args_tuple), "kwargs": kwargs_dict}
        try:
            json.dumps(payload)
        except (TypeError, ValueError) as exc:
            if persistent:
                raise ValueError(f"args: the job's arguments must be JSON for store {jobstore!r}: {exc}") from exc
            payload = None
        task = ref if ref is not None else f"__tempora_local__:{get_callable_name(func)}"
        spec: Dict[str, Any] = {
            "task": task,
            "trigger": trigger_obj.to_spec(),
            "id": job_id,
            "name": name or get_callable_name(func),
            "args": payload,
            "executor": executor,
            "store": jobstore,
            "replace_existing": bool(replace_existing),
        }
        if misfire_grace_time is not undefined:
            spec["misfire_grace_time"] = _grace(misfire_grace_time)
        if coalesce is not undefined:
            spec["coalesce"] = _as_bool(coalesce)
        if max_instances is not undefined:
            spec["max_instances"] = _check_positive_int("max_instances", max_instances)
        if next_run_time is None:
            spec["paused"] = True
        elif next_run_time is not undefined:
            when = convert_to_datetime(next_run_time, self.timezone, "next_run_time")
            spec["next_run_time"] = datetime_to_micros(when)  # type: ignore[arg-type]
        native = self._engine()
        if not persistent:
            self._local[job_id] = (func, args_tuple, kwargs_dict)
        self._job_executors[job_id] = executor
        try:
            text = self._wrap(native.add_job, json.dumps(spec), job_id=job_id)
        except BaseException:
            if not persistent:
                self._local.pop(job_id, None)
            raise
        return self._job(text)

    def scheduled_job(self, trigger: Union[BaseTrigger, str, None] = None, args: Optional[Iterable[Any]] = None,
                      kwargs: Optional[Mapping[str, Any]] = None, id: Optional[str] = None,
                      name: Optional[str] = None, misfire_grace_time: Any = undefined,
                      coalesce: Any = undefined, max_instances: Any = undefined,
                      next_run_time: Any = undefined, jobstore: str = "default",
                      executor: str = "default", **trigger_args: Any) -> Callable[[Any], Any]:
        """A decorator form of ``add_job``: adds the function it decorates."""

        def inner(func: Any) -> Any:
            self.add_job(func, trigger, args, kwargs, id, name, misfire_grace_time, coalesce, max_instances,
                         next_run_time, jobstore, executor, True, **trigger_args)
            return func

        return inner

    def modify_job(self, job_id: str, jobstore: Optional[str] = None, **changes: Any) -> Job:
        """Changes options of job ``job_id``: ``func``, ``args``, ``kwargs``,
        ``name``, ``misfire_grace_time``, ``coalesce``, ``max_instances``,
        ``next_run_time`` (``None`` pauses), ``trigger``, ``executor``."""
        native = self._engine()
        current = self.get_job(job_id, jobstore)
        if current is None:
            raise JobLookupError(job_id)
        changes = dict(changes)
        unknown = set(changes) - {"func", "args", "kwargs", "name", "misfire_grace_time", "coalesce",
                                  "max_instances", "next_run_time", "trigger", "executor", "id"}
        if unknown:
            raise AttributeError(f"The following are not modifiable attributes of Job: {', '.join(sorted(unknown))}")
        if "id" in changes and changes["id"] != job_id:
            raise ValueError("The job ID may not be changed")
        changes.pop("id", None)
        if "trigger" in changes:
            trigger = changes.pop("trigger")
            current = self.reschedule_job(job_id, jobstore, trigger)
        if "func" in changes or (("args" in changes or "kwargs" in changes) and job_id in self._local):
            func = changes.pop("func", current.func)
            args = changes.pop("args", current.args)
            kwargs = changes.pop("kwargs", current.kwargs)
            next_run = changes.pop("next_run_time", current.next_run_time)
            options = {key: changes.pop(key) for key in ("name", "misfire_grace_time", "coalesce", "max_instances", "executor") if key in changes}
            job = self.add_job(func, current.trigger, args, kwargs, job_id,
                               options.get("name", current.name if "func" not in changes else None),
                               options.get("misfire_grace_time", current.misfire_grace_time),
                               options.get("coalesce", current.coalesce),
                               options.get("max_instances", current.max_instances),
                               next_run, current._jobstore_alias or "default",
                               options.get("executor", current.executor), True)
            return job
        spec: Dict[str, Any] = {}
        if "args" in changes or "kwargs" in changes:
            args = tuple(changes.pop("args", current.args))
            kwargs = dict(changes.pop("kwargs", current.kwargs))
            check_callable_args(current.func, args, kwargs)
            spec["args"] = {"args": list(args), "kwargs": kwargs}
        if "name" in changes:
            spec["name"] = changes.pop("name")
        if "misfire_grace_time" in changes:
            spec["misfire_grace_time"] = _grace(changes.pop("misfire_grace_time"))
        if "coalesce" in changes:
            spec["coalesce"] = _as_bool(changes.pop("coalesce"))
        if "max_instances" in changes:
            spec["max_instances"] = _check_positive_int("max_instances", changes.pop("max_instances"))
        if "executor" in changes:
            spec["executor"] = changes.pop("executor")
            self._job_executors[job_id] = spec["executor"]
        pause = False
        if "next_run_time" in changes:
            next_run = changes.pop("next_run_time")
            if next_run is None:
                pause = True
            else:
                when = convert_to_datetime(next_run, self.timezone, "next_run_time")
                spec["next_run_time"] = datetime_to_micros(when)  # type: ignore[arg-type]
        text = self._wrap(native.modify_job, job_id, json.dumps(spec), job_id=job_id) if spec else None
        if pause:
            text = self._wrap(native.pause_job, job_id, job_id=job_id)
        return self._job(text) if text else current

    def reschedule_job(self, job_id: str, jobstore: Optional[str] = None,
                       trigger: Union[BaseTrigger, str, None] = None, **trigger_args: Any) -> Job:
        """Gives job ``job_id`` a new trigger; it next runs at the trigger's
        first fire time from now."""
        trigger_obj = self._create_trigger(trigger, trigger_args)
        text = self._wrap(self._engine().reschedule_job, job_id, json.dumps(trigger_obj.to_spec()), job_id=job_id)
        if text is None:
            raise JobLookupError(job_id)
        return self._job(text)

    def pause_job(self, job_id: str, jobstore: Optional[str] = None) -> Job:
        return self._job(self._wrap(self._engine().pause_job, job_id, job_id=job_id))

    def resume_job(self, job_id: str, jobstore: Optional[str] = None) -> Optional[Job]:
        """Resumes job ``job_id``; ``None`` when its trigger has nothing left
        (the job is then removed)."""
        text = self._wrap(self._engine().resume_job, job_id, job_id=job_id)
        return self._job(text) if text else None

    def remove_job(self, job_id: str, jobstore: Optional[str] = None) -> None:
        self._explicit_removals.add(job_id)
        try:
            self._wrap(self._engine().remove_job, job_id, job_id=job_id)
        finally:
            # Its event (if a listener wants it) was delivered during the call.
            self._explicit_removals.discard(job_id)
        self._local.pop(job_id, None)

    def remove_all_jobs(self, jobstore: Optional[str] = None) -> None:
        self._wrap(self._engine().remove_all_jobs, jobstore)
        if jobstore is None:
            self._local.clear()

    def get_job(self, job_id: str, jobstore: Optional[str] = None) -> Optional[Job]:
        """The job ``job_id``, or ``None``."""
        text = self._wrap(self._engine().get_job, job_id)
        if text is None:
            return None
        job = self._job(text)
        if jobstore is not None and job._jobstore_alias != jobstore:
            return None
        return job

    def get_jobs(self, jobstore: Optional[str] = None, pending: Optional[bool] = None) -> List[Job]:
        """The jobs (of ``jobstore``, or of every store), by next run time."""
        texts = self._wrap(self._engine().list_jobs, jobstore)
        return [self._job(text) for text in texts]

    def print_jobs(self, jobstore: Optional[str] = None, out: Any = None) -> None:
        """Prints the jobs of every store (or of ``jobstore``)."""
        out = out or sys.stdout
        aliases = [jobstore] if jobstore else list(self._jobstores) or ["default"]
        for alias in sorted(aliases):
            print(f"Jobstore {alias}:", file=out)
            jobs = self.get_jobs(alias)
            if jobs:
                for job in jobs:
                    print(f"    {job}", file=out)
            else:
                print("    No scheduled jobs", file=out)

    def export_jobs(self, outfile: Any, jobstore: Optional[str] = None) -> None:
        """Writes the jobs' stored JSON forms (a list) to ``outfile`` (a path or a file)."""
        texts = [json.loads(text) for text in self._engine().list_jobs(jobstore)]
        if isinstance(outfile, str):
            with open(outfile, "w") as handle:
                json.dump(texts, handle)
        else:
            json.dump(texts, outfile)

    # ---------------------------------------------------------------- helpers

    def _create_trigger(self, trigger: Any, trigger_args: Dict[str, Any]) -> BaseTrigger:
        if isinstance(trigger, BaseTrigger):
            if getattr(trigger, "triggers", None) is not None and getattr(trigger, "jitter", None):
                raise ValueError("jitter: give it to the combined triggers; a combination takes none of its own")
            return trigger
        if trigger is None:
            trigger = "date"
        if not isinstance(trigger, str):
            raise TypeError(f"Expected a trigger instance or string, got {trigger.__class__.__name__} instead")
        cls = TRIGGER_ALIASES.get(trigger)
        if cls is None:
            raise LookupError(f'No trigger by the name "{trigger}" was found')
        trigger_args.setdefault("timezone", self.timezone)
        return cls(**trigger_args)  # type: ignore[no-any-return]

    def _wrap(self, method: Callable[..., Any], *args: Any, job_id: Optional[str] = None) -> Any:
        """Calls the engine, turning its errors into APScheduler's."""
        try:
            return method(*args)
        except _native.NotFoundError as exc:
            if job_id is not None and "job" in str(exc):
                raise JobLookupError(job_id) from None
            raise KeyError(str(exc)) from None
        except _native.ConflictError:
            raise ConflictingIdError(job_id or "") from None
        except _native.StateError as exc:
            if "not running" in str(exc) or "not started" in str(exc):
                raise SchedulerNotRunningError from exc
            raise

    def _job(self, text: str) -> Job:
        data = json.loads(text)
        job_id = data["id"]
        local = self._local.get(job_id)
        task = data["task"]
        func_ref: Optional[str] = task if ":" in task and not task.startswith("__tempora_local__") else None
        if local is not None:
            func, args, kwargs = local
        else:
            payload = data.get("args") or {}
            args, kwargs = tuple(payload.get("args", ())), dict(payload.get("kwargs", {}))
            try:
                func = self._resolved.get(task) or ref_to_obj(task)
            except (LookupError, ValueError):
                func = None
        next_run = data.get("next_run_time")
        job = Job.__new__(Job)
        job._scheduler = self
        job._jobstore_alias = data.get("store") or "default"
        job.id = job_id
        job.name = data["name"]
        job.func = func
        job.func_ref = func_ref
        job.args = args
        job.kwargs = kwargs
        job.trigger = trigger_from_spec(data["trigger"], self.timezone)
        job.executor = data["executor"]
        job.misfire_grace_time = _grace_seconds(data.get("misfire_grace_time"))
        job.coalesce = data["coalesce"]
        job.max_instances = data["max_instances"]
        job.next_run_time = (
            None if next_run is None
            else _real_datetime.fromisoformat(next_run.replace("Z", "+00:00")).astimezone(self.timezone)
        )
        return job

def _set_dotted(config: Dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    target = config
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    if isinstance(value, Mapping) and isinstance(target.get(parts[-1]), dict):
        target[parts[-1]].update(value)
    else:
        target[parts[-1]] = value


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "on", "y", "t", "1"):
            return True
        if lowered in ("false", "no", "off", "n", "f", "0"):
            return False
        raise ValueError(f'Unable to interpret value "{value}" as boolean')
    return bool(value)


def _make_plugin(value: Any, aliases: Dict[str, str], base: type, what: str) -> Any:
    if isinstance(value, base):
        return value
    if isinstance(value, Mapping):
        options = dict(value)
        if "class" in options:
            cls = ref_to_obj(options.pop("class")) if isinstance(options["class"], str) else options.pop("class")
        elif "type" in options:
            kind = options.pop("type")
            if kind not in aliases:
                raise LookupError(f'No {what} by the name "{kind}" was found')
            cls = ref_to_obj(aliases[kind])
        else:
            raise ValueError(f'Cannot create {what}: either "class" or "type" must be defined')
        return cls(**options)
    raise TypeError(f"Expected {what} instance or dict for {what}s, got {value.__class__.__name__} instead")


_ = (micros_to_datetime, JobLookupError)
