"""Events: what happened, for listeners (APScheduler's constants and classes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, List, Optional

__all__ = [
    "EVENT_SCHEDULER_STARTED", "EVENT_SCHEDULER_START", "EVENT_SCHEDULER_SHUTDOWN",
    "EVENT_SCHEDULER_PAUSED", "EVENT_SCHEDULER_RESUMED", "EVENT_EXECUTOR_ADDED",
    "EVENT_EXECUTOR_REMOVED", "EVENT_JOBSTORE_ADDED", "EVENT_JOBSTORE_REMOVED",
    "EVENT_ALL_JOBS_REMOVED", "EVENT_JOB_ADDED", "EVENT_JOB_REMOVED", "EVENT_JOB_MODIFIED",
    "EVENT_JOB_EXECUTED", "EVENT_JOB_ERROR", "EVENT_JOB_MISSED", "EVENT_JOB_SUBMITTED",
    "EVENT_JOB_MAX_INSTANCES", "EVENT_ALL", "SchedulerEvent", "JobEvent",
    "JobSubmissionEvent", "JobExecutionEvent",
]

EVENT_SCHEDULER_STARTED = EVENT_SCHEDULER_START = 2**0
EVENT_SCHEDULER_SHUTDOWN = 2**1
EVENT_SCHEDULER_PAUSED = 2**2
EVENT_SCHEDULER_RESUMED = 2**3
EVENT_EXECUTOR_ADDED = 2**4
EVENT_EXECUTOR_REMOVED = 2**5
EVENT_JOBSTORE_ADDED = 2**6
EVENT_JOBSTORE_REMOVED = 2**7
EVENT_ALL_JOBS_REMOVED = 2**8
EVENT_JOB_ADDED = 2**9
EVENT_JOB_REMOVED = 2**10
EVENT_JOB_MODIFIED = 2**11
EVENT_JOB_EXECUTED = 2**12
EVENT_JOB_ERROR = 2**13
EVENT_JOB_MISSED = 2**14
EVENT_JOB_SUBMITTED = 2**15
EVENT_JOB_MAX_INSTANCES = 2**16
EVENT_ALL = (
    EVENT_SCHEDULER_STARTED | EVENT_SCHEDULER_SHUTDOWN | EVENT_SCHEDULER_PAUSED
    | EVENT_SCHEDULER_RESUMED | EVENT_EXECUTOR_ADDED | EVENT_EXECUTOR_REMOVED
    | EVENT_JOBSTORE_ADDED | EVENT_JOBSTORE_REMOVED | EVENT_ALL_JOBS_REMOVED
    | EVENT_JOB_ADDED | EVENT_JOB_REMOVED | EVENT_JOB_MODIFIED | EVENT_JOB_EXECUTED
    | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_SUBMITTED | EVENT_JOB_MAX_INSTANCES
)

#: Tempora's event kinds by APScheduler's code (the kinds APScheduler has no
#: code for — a paused job, a buffered run — are not delivered).
CODES = {
    "scheduler_started": EVENT_SCHEDULER_STARTED,
    "scheduler_shutdown": EVENT_SCHEDULER_SHUTDOWN,
    "scheduler_paused": EVENT_SCHEDULER_PAUSED,
    "scheduler_resumed": EVENT_SCHEDULER_RESUMED,
    "executor_added": EVENT_EXECUTOR_ADDED,
    "executor_removed": EVENT_EXECUTOR_REMOVED,
    "store_added": EVENT_JOBSTORE_ADDED,
    "store_removed": EVENT_JOBSTORE_REMOVED,
    "all_jobs_removed": EVENT_ALL_JOBS_REMOVED,
    "job_added": EVENT_JOB_ADDED,
    "job_removed": EVENT_JOB_REMOVED,
    "job_modified": EVENT_JOB_MODIFIED,
    "job_submitted": EVENT_JOB_SUBMITTED,
    "job_max_instances": EVENT_JOB_MAX_INSTANCES,
    "job_executed": EVENT_JOB_EXECUTED,
    "job_error": EVENT_JOB_ERROR,
    "job_missed": EVENT_JOB_MISSED,
}


class SchedulerEvent:
    """An event about the scheduler: ``code`` and, for store and executor
    events, ``alias``."""

    def __init__(self, code: int, alias: Optional[str] = None) -> None:
        self.code = code
        self.alias = alias

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (code={self.code})>"


class JobEvent(SchedulerEvent):
    """An event about a job: ``job_id`` and ``jobstore``."""

    def __init__(self, code: int, job_id: str, jobstore: Optional[str]) -> None:
        super().__init__(code)
        self.code = code
        self.job_id = job_id
        self.jobstore = jobstore


class JobSubmissionEvent(JobEvent):
    """A run handed to its executor: ``scheduled_run_times``."""

    def __init__(self, code: int, job_id: str, jobstore: Optional[str], scheduled_run_times: List[datetime]) -> None:
        super().__init__(code, job_id, jobstore)
        self.scheduled_run_times = scheduled_run_times


class JobExecutionEvent(JobEvent):
    """A run ended or was missed: ``scheduled_run_time``, ``retval``,
    ``exception`` and ``traceback``."""

    def __init__(
        self,
        code: int,
        job_id: str,
        jobstore: Optional[str],
        scheduled_run_time: Optional[datetime],
        retval: Any = None,
        exception: Optional[BaseException] = None,
        traceback: Optional[str] = None,
    ) -> None:
        super().__init__(code, job_id, jobstore)
        self.scheduled_run_time = scheduled_run_time
        self.retval = retval
        self.exception = exception
        self.traceback = traceback
