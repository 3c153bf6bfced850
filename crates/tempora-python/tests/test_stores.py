"""Every Tempora store from Python: jobs kept by reference and JSON
arguments, refused when they cannot be, and back after a restart."""

from __future__ import annotations

import queue
from datetime import datetime, timezone

import pytest

import jobs
from conftest import KINDS, make_store
from tempora.events import EVENT_JOB_EXECUTED
from tempora.jobstores.base import TransientJobError
from tempora.schedulers.background import BackgroundScheduler

WAIT = 30


@pytest.fixture(params=KINDS)
def store_factory(request, prefix, sqlite_url):
    return lambda: make_store(request.param, prefix, sqlite_url)


def scheduler_on(store_factory):
    return BackgroundScheduler(timezone="UTC", jobstores={"default": store_factory()})


def test_a_lambda_is_refused_with_a_value_error(store_factory):
    sched = scheduler_on(store_factory)
    with pytest.raises(TransientJobError) as error:
        sched.add_job(lambda: None, "interval", hours=1)
    assert isinstance(error.value, ValueError)
    assert sched.get_jobs() == []


def test_a_nested_function_is_refused(store_factory):
    def nested() -> None:
        pass

    with pytest.raises(ValueError):
        scheduler_on(store_factory).add_job(nested, "interval", hours=1)


def test_arguments_that_are_not_json_are_refused(store_factory):
    with pytest.raises(ValueError, match="args"):
        scheduler_on(store_factory).add_job(jobs.record, "interval", hours=1, args=[object()])


def test_a_job_comes_back_after_a_restart_with_its_reference_and_arguments(store_factory):
    first = scheduler_on(store_factory)
    first.add_job(jobs.add, "cron", hour=3, id="nightly", args=[1], kwargs={"y": 2}, max_instances=2)
    first.add_job("jobs:Holder.static_add", "interval", hours=1, id="by_text", args=[2, 3])
    del first
    second = scheduler_on(store_factory)
    job = second.get_job("nightly")
    assert job is not None
    assert (job.func, job.func_ref, job.args, job.kwargs) == (jobs.add, "jobs:add", (1,), {"y": 2})
    assert str(job.trigger) == "cron[hour='3']"
    assert job.max_instances == 2
    assert second.get_job("by_text").func is jobs.Holder.static_add
    second.remove_all_jobs()


def test_a_stored_due_job_runs_in_the_next_process_that_starts(store_factory):
    first = scheduler_on(store_factory)
    first.add_job(jobs.add, "date", run_date=datetime.now(timezone.utc), id="due", args=[20, 22])
    del first
    second = scheduler_on(store_factory)
    events: "queue.Queue" = queue.Queue()
    second.add_listener(events.put, EVENT_JOB_EXECUTED)
    second.start()
    try:
        event = events.get(timeout=WAIT)
        assert (event.job_id, event.retval) == ("due", 42)
    finally:
        second.shutdown()
