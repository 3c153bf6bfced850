"""Where runs execute: coroutines on the program's asyncio loop, functions
in a process pool, and the GIL let go while the engine waits."""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from concurrent.futures.process import BrokenProcessPool

import pytest

import jobs
from conftest import KINDS, make_store
from tempora.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from tempora.schedulers.asyncio import AsyncIOScheduler
from tempora.schedulers.background import BackgroundScheduler
from tempora.schedulers.blocking import BlockingScheduler

WAIT = 30


def test_asyncio_scheduler_runs_coroutines_as_tasks_on_the_program_loop():
    async def main():
        loop = asyncio.get_running_loop()
        seen = {}
        done = asyncio.Event()

        async def job(x):
            seen["loop"] = asyncio.get_running_loop()
            seen["task"] = asyncio.current_task()
            done.set()
            return x * 2

        results: "queue.Queue" = queue.Queue()
        sched = AsyncIOScheduler(timezone="UTC")
        sched.add_listener(results.put, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        sched.add_job(job, args=[21])
        sched.start()
        await asyncio.wait_for(done.wait(), WAIT)
        event = await loop.run_in_executor(None, results.get, True, WAIT)
        sched.shutdown()
        return seen, loop, event

    seen, loop, event = asyncio.run(main())
    assert seen["loop"] is loop and seen["task"] is not None
    assert (event.code, event.retval) == (EVENT_JOB_EXECUTED, 42)


def test_process_pool_runs_the_job_in_another_process():
    sched = BackgroundScheduler(timezone="UTC", executors={"processpool": {"type": "processpool", "max_workers": 1}})
    results: "queue.Queue" = queue.Queue()
    sched.add_listener(results.put, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    sched.add_job(os.getpid, executor="processpool")
    sched.start()
    try:
        event = results.get(timeout=WAIT)
    finally:
        sched.shutdown()
    assert event.code == EVENT_JOB_EXECUTED
    assert event.retval != os.getpid()


PROCESS_POOL = {"default": {"type": "processpool", "max_workers": 2}}


@pytest.mark.parametrize("kind", ["memory", *KINDS])
def test_process_pool_runs_jobs_of_every_store_in_another_process(kind, prefix, sqlite_url):
    stores = {} if kind == "memory" else {"default": make_store(kind, prefix, sqlite_url)}
    sched = BackgroundScheduler(timezone="UTC", jobstores=stores, executors=PROCESS_POOL)
    results: "queue.Queue" = queue.Queue()
    sched.add_listener(results.put, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    sched.add_job(jobs.pid, id="where")
    sched.start()
    try:
        event = results.get(timeout=WAIT)
        # The pool's process is alive until the scheduler shuts down.
        assert (event.code, event.job_id) == (EVENT_JOB_EXECUTED, "where")
        assert isinstance(event.retval, int) and event.retval != os.getpid()
        assert os.path.exists(f"/proc/{event.retval}")
    finally:
        sched.shutdown()


def test_process_pool_under_the_blocking_scheduler():
    sched = BlockingScheduler(timezone="UTC", executors=PROCESS_POOL)
    results: "queue.Queue" = queue.Queue()
    sched.add_listener(results.put, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    sched.add_job(jobs.pid)
    outcome: "queue.Queue" = queue.Queue()

    def stop_after_the_run() -> None:
        outcome.put(results.get(timeout=WAIT))
        sched.shutdown()

    stopper = threading.Thread(target=stop_after_the_run)
    stopper.start()
    sched.start()  # returns once shut down
    stopper.join()
    event = outcome.get_nowait()
    assert event.code == EVENT_JOB_EXECUTED and event.retval != os.getpid()


def test_process_pool_under_the_asyncio_scheduler():
    async def main():
        loop = asyncio.get_running_loop()
        results: "queue.Queue" = queue.Queue()
        sched = AsyncIOScheduler(timezone="UTC", executors=PROCESS_POOL)
        sched.add_listener(results.put, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        sched.add_job(jobs.pid)
        sched.start()
        try:
            return await loop.run_in_executor(None, results.get, True, WAIT)
        finally:
            sched.shutdown()

    event = asyncio.run(main())
    assert event.code == EVENT_JOB_EXECUTED and event.retval != os.getpid()


def test_a_job_that_kills_its_process_is_an_error_event_and_the_scheduler_goes_on():
    sched = BackgroundScheduler(timezone="UTC", executors={"default": {"type": "processpool", "max_workers": 1}})
    results: "queue.Queue" = queue.Queue()
    sched.add_listener(results.put, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    sched.add_job(jobs.crash, id="crash")
    sched.start()
    try:
        crashed = results.get(timeout=WAIT)
        sched.add_job(jobs.pid, id="after")
        after = results.get(timeout=WAIT)
        assert sched.running
    finally:
        sched.shutdown()
    assert (crashed.code, crashed.job_id) == (EVENT_JOB_ERROR, "crash")
    assert isinstance(crashed.exception, BrokenProcessPool)
    assert (after.code, after.job_id) == (EVENT_JOB_EXECUTED, "after")
    assert after.retval != os.getpid()


def test_python_keeps_running_while_the_engine_waits():
    """A job that needs the GIL runs while the main thread is inside a
    scheduler call: the engine lets go of the GIL while it waits."""
    sched = BackgroundScheduler(timezone="UTC")
    started = threading.Event()
    release = threading.Event()

    def job():
        started.set()
        release.wait(WAIT)

    sched.add_job(job)
    sched.start()
    assert started.wait(WAIT)
    # The pool thread holds a running job; the main thread calls the engine.
    assert sched.get_jobs() == []
    release.set()
    sched.shutdown(wait=True)


def test_blocking_scheduler_returns_when_a_job_shuts_it_down():
    sched = BlockingScheduler(timezone="UTC")
    sched.add_job(lambda: sched.shutdown(wait=False))
    sched.start()
    assert not sched.running


_ = jobs
