"""Where runs execute: coroutines on the program's asyncio loop, functions
in a process pool, and the GIL let go while the engine waits."""

from __future__ import annotations

import asyncio
import os
import queue
import threading

import jobs
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
