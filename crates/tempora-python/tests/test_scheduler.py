"""The scheduler's API from Python: jobs added, run, changed and removed on
Tempora's engine, with the memory store. Runs are awaited through events,
never by sleeping a guessed time."""

from __future__ import annotations

import io
import queue
import threading
import weakref
from datetime import datetime, timedelta, timezone

import pytest

import jobs
from tempora.events import (
    EVENT_ALL, EVENT_JOB_ADDED, EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_REMOVED,
    JobExecutionEvent,
)
from tempora.jobstores.base import ConflictingIdError, JobLookupError
from tempora.schedulers import SchedulerAlreadyRunningError, SchedulerNotRunningError
from tempora.schedulers.background import BackgroundScheduler
from tempora.schedulers.base import STATE_PAUSED, STATE_RUNNING, STATE_STOPPED
from tempora.triggers.cron import CronTrigger
from tempora.triggers.interval import IntervalTrigger

WAIT = 20  # seconds before a test gives up on an event that should come at once


@pytest.fixture
def scheduler():
    sched = BackgroundScheduler(timezone="UTC")
    yield sched
    if sched.running:
        sched.shutdown()


def executed(scheduler, mask=EVENT_JOB_EXECUTED | EVENT_JOB_ERROR):
    events: "queue.Queue[JobExecutionEvent]" = queue.Queue()
    scheduler.add_listener(events.put, mask)
    return events


def test_a_job_runs_with_its_arguments_and_its_value_reaches_listeners(scheduler):
    events = executed(scheduler)
    scheduler.add_job(jobs.add, args=[1], kwargs={"y": 2}, id="sum")
    scheduler.start()
    event = events.get(timeout=WAIT)
    assert (event.code, event.job_id, event.retval, event.exception) == (EVENT_JOB_EXECUTED, "sum", 3, None)
    assert event.jobstore == "default"
    assert event.scheduled_run_time is not None


def test_memory_store_runs_lambdas_and_objects_that_are_not_json(scheduler):
    events = executed(scheduler)
    marker = object()
    scheduler.add_job(lambda thing: thing is marker, args=[marker])
    scheduler.start()
    assert events.get(timeout=WAIT).retval is True


def test_a_failing_job_reports_its_exception_object(scheduler):
    events = executed(scheduler)
    scheduler.add_job(jobs.fail, id="failing")
    scheduler.start()
    event = events.get(timeout=WAIT)
    assert event.code == EVENT_JOB_ERROR
    assert isinstance(event.exception, ValueError)
    assert "the job failed" in event.traceback


def test_string_aliases_build_triggers_in_the_scheduler_zone():
    sched = BackgroundScheduler(timezone="Europe/Berlin")
    job = sched.add_job(jobs.record, "cron", hour=9, minute=30, id="daily")
    assert isinstance(job.trigger, CronTrigger)
    assert str(job.trigger) == "cron[hour='9', minute='30']"
    assert job.next_run_time.tzinfo is not None
    assert (job.next_run_time.hour, job.next_run_time.minute) == (9, 30)
    job = sched.add_job(jobs.record, "interval", minutes=5, id="often")
    assert isinstance(job.trigger, IntervalTrigger)
    assert job.trigger.interval == timedelta(minutes=5)


def test_add_job_options_are_kept(scheduler):
    start = datetime(2030, 1, 1, tzinfo=timezone.utc)
    job = scheduler.add_job(
        jobs.record, "interval", seconds=30, start_date=start, id="opts", name="the name",
        misfire_grace_time=15, coalesce=False, max_instances=3,
    )
    assert (job.id, job.name, job.misfire_grace_time, job.coalesce, job.max_instances) == (
        "opts", "the name", 15, False, 3)
    assert job.func is jobs.record and job.func_ref == "jobs:record"
    assert job.next_run_time == start
    assert scheduler.get_job("opts") == job


def test_a_taken_id_conflicts_unless_replacing(scheduler):
    scheduler.add_job(jobs.record, "interval", hours=1, id="same")
    with pytest.raises(ConflictingIdError):
        scheduler.add_job(jobs.record, "interval", hours=1, id="same")
    job = scheduler.add_job(jobs.add, "interval", hours=2, id="same", args=[1, 2], replace_existing=True)
    assert job.func is jobs.add and job.trigger.interval == timedelta(hours=2)
    assert len(scheduler.get_jobs()) == 1


def test_next_run_time_none_adds_the_job_paused(scheduler):
    job = scheduler.add_job(jobs.record, "interval", hours=1, id="paused", next_run_time=None)
    assert job.next_run_time is None
    assert "paused" in str(job)


def test_modify_reschedule_pause_resume_remove(scheduler):
    scheduler.add_job(jobs.record, "interval", hours=1, id="j")
    job = scheduler.modify_job("j", name="renamed", max_instances=2, args=[5])
    assert (job.name, job.max_instances, job.args) == ("renamed", 2, (5,))
    job = scheduler.reschedule_job("j", trigger="cron", minute="*/5")
    assert str(job.trigger) == "cron[minute='*/5']"
    assert scheduler.pause_job("j").next_run_time is None
    assert scheduler.resume_job("j").next_run_time is not None
    job.modify(coalesce=False)
    assert scheduler.get_job("j").coalesce is False
    scheduler.remove_job("j")
    assert scheduler.get_job("j") is None
    with pytest.raises(JobLookupError):
        scheduler.remove_job("j")


def test_modify_next_run_time_none_pauses(scheduler):
    scheduler.add_job(jobs.record, "interval", hours=1, id="j")
    assert scheduler.modify_job("j", next_run_time=None).next_run_time is None


def test_remove_all_jobs_and_print_jobs(scheduler):
    scheduler.add_job(jobs.record, "interval", hours=1, id="a")
    scheduler.add_job(jobs.record, "interval", hours=2, id="b")
    out = io.StringIO()
    scheduler.print_jobs(out=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Jobstore default:"
    assert lines[1].startswith("    record (trigger: interval[1:00:00], next run at: ")
    scheduler.remove_all_jobs()
    out = io.StringIO()
    scheduler.print_jobs(out=out)
    assert out.getvalue() == "Jobstore default:\n    No scheduled jobs\n"


def test_scheduled_job_decorator_adds_the_function(scheduler):
    @scheduler.scheduled_job("interval", hours=1, id="decorated")
    def decorated() -> None:
        pass

    assert scheduler.get_job("decorated").name.endswith("decorated")


def test_states_and_their_errors(scheduler):
    assert scheduler.state == STATE_STOPPED
    with pytest.raises(SchedulerNotRunningError):
        scheduler.shutdown()
    scheduler.start(paused=True)
    assert scheduler.state == STATE_PAUSED
    with pytest.raises(SchedulerAlreadyRunningError):
        scheduler.start()
    scheduler.resume()
    assert scheduler.state == STATE_RUNNING
    scheduler.pause()
    assert scheduler.state == STATE_PAUSED
    scheduler.shutdown()
    assert scheduler.state == STATE_STOPPED


def test_configure_reads_apscheduler_prefixed_options():
    sched = BackgroundScheduler()
    sched.configure({
        "apscheduler.timezone": "Asia/Tokyo",
        "apscheduler.job_defaults.coalesce": "false",
        "apscheduler.job_defaults.max_instances": "3",
        "apscheduler.executors.default": {"type": "threadpool", "max_workers": "4"},
        "other.option": 1,
    })
    job = sched.add_job(jobs.record, "interval", hours=1)
    assert str(sched.timezone) == "Asia/Tokyo"
    assert (job.coalesce, job.max_instances) == (False, 3)


def test_configure_refuses_a_misspelt_option():
    with pytest.raises(TypeError, match="timezon"):
        BackgroundScheduler(timezon="UTC")


def test_bad_trigger_fields_are_value_errors_naming_the_field(scheduler):
    with pytest.raises(ValueError, match="hour: 25 is out of range 0-23"):
        scheduler.add_job(jobs.record, "cron", hour=25)
    with pytest.raises(LookupError):
        scheduler.add_job(jobs.record, "weekly")


def test_from_crontab_reads_0_as_sunday():
    trigger = CronTrigger.from_crontab("0 9 * * 0", timezone="UTC")
    saturday = datetime(2026, 3, 28, 12, tzinfo=timezone.utc)
    assert trigger.get_next_fire_time(None, saturday) == datetime(2026, 3, 29, 9, tzinfo=timezone.utc)


def test_listeners_get_job_added_and_removed_events(scheduler):
    seen = []
    scheduler.add_listener(lambda event: seen.append((event.code, event.job_id)), EVENT_ALL)
    scheduler.add_job(jobs.record, "interval", hours=1, id="x")
    scheduler.remove_job("x")
    assert (EVENT_JOB_ADDED, "x") in seen and (EVENT_JOB_REMOVED, "x") in seen


def test_a_listener_may_call_the_scheduler(scheduler):
    done = queue.Queue()

    def on_executed(event):
        done.put(scheduler.get_job(event.job_id))

    scheduler.add_listener(on_executed, EVENT_JOB_EXECUTED)
    scheduler.add_job(jobs.record, "interval", seconds=1, id="self", next_run_time=datetime.now(timezone.utc))
    scheduler.start()
    assert done.get(timeout=WAIT).id == "self"


def test_a_scheduler_started_again_after_shutdown_keeps_its_memory_jobs(scheduler):
    events = executed(scheduler)
    marker = object()
    scheduler.add_job(lambda thing: thing is marker, "interval", hours=1, args=[marker], id="hourly")
    scheduler.add_job(jobs.record, "cron", hour=3, id="nightly")
    scheduler.start()
    scheduler.shutdown()
    assert sorted(job.id for job in scheduler.get_jobs()) == ["hourly", "nightly"]
    scheduler.start()
    assert sorted(job.id for job in scheduler.get_jobs()) == ["hourly", "nightly"]
    # The job kept its callable and its arguments (objects, not JSON).
    scheduler.modify_job("hourly", next_run_time=datetime.now(timezone.utc))
    event = events.get(timeout=WAIT)
    assert (event.code, event.job_id, event.retval) == (EVENT_JOB_EXECUTED, "hourly", True)
    scheduler.shutdown()
    scheduler.start(paused=True)
    assert sorted(job.id for job in scheduler.get_jobs()) == ["hourly", "nightly"]


def test_a_listener_hears_only_its_mask_and_nothing_once_removed(scheduler):
    added, executions = [], executed(scheduler)
    scheduler.add_listener(added.append, EVENT_JOB_ADDED)
    scheduler.add_job(jobs.add, args=[1, 2], id="first")
    scheduler.start()
    assert executions.get(timeout=WAIT).retval == 3
    assert [(event.code, event.job_id) for event in added] == [(EVENT_JOB_ADDED, "first")]
    scheduler.remove_listener(added.append)
    scheduler.add_job(jobs.add, args=[2, 2], id="second")
    assert executions.get(timeout=WAIT).retval == 4
    assert len(added) == 1


def test_a_one_off_job_lets_go_of_its_callable_after_its_run(scheduler):
    """Nothing listens: the scheduler still forgets what it kept for a job
    the engine removed, once its run is over."""
    ran = threading.Event()

    class Job:
        def __call__(self) -> None:
            ran.set()

    job = Job()
    gone = threading.Event()
    weakref.finalize(job, gone.set)
    scheduler.add_job(job)
    del job
    scheduler.start()
    assert ran.wait(WAIT)
    assert gone.wait(WAIT)
