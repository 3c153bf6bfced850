"""The benchmark workloads of docs/workloads.md (W1, W2, W3, W4-add,
W4-restart, W5), written once in Python against APScheduler 3's API, run on
APScheduler 3.11 or on the `tempora` package: the same program, only the
imports differ.

    python bench/workloads.py                 # every workload, both, one process each
    python bench/workloads.py tempora W2 10000

Each run prints one JSON line per result, as the workloads' protocol says.
"""

from __future__ import annotations

import gc
import importlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import noop  # noqa: E402  (the job bodies a persistent store references)


def load(impl: str):
    """The modules of implementation `impl` ("apscheduler" or "tempora")."""
    names = {
        "background": f"{impl}.schedulers.background",
        "cron": f"{impl}.triggers.cron",
        "sqlalchemy": f"{impl}.jobstores.sqlalchemy",
    }
    return {key: importlib.import_module(name) for key, name in names.items()}


def version(impl: str) -> str:
    if impl == "tempora":
        return "tempora-" + importlib.import_module("tempora").__version__
    from importlib.metadata import version as package_version

    return "apscheduler-" + package_version("apscheduler")


def report(impl: str, workload: str, value, unit: str, n: int, **extra) -> None:
    print(json.dumps({"impl": version(impl), "workload": workload, "value": value, "unit": unit, "n": n, **extra}),
          flush=True)


def w1(impl: str, n: int) -> None:
    from zoneinfo import ZoneInfo

    mods = load(impl)
    berlin = ZoneInfo("Europe/Berlin")
    s0 = datetime(2026, 3, 1, tzinfo=berlin)
    horizon = datetime(2099, 1, 1, tzinfo=berlin)
    cases = {
        "A": dict(second="*/5"),
        "B": dict(second=0, minute="*/15", hour="9-17", day_of_week="mon-fri"),
        "C": dict(second=0, minute=0, hour=0, day="last"),
    }
    for name, fields in cases.items():
        trigger = mods["cron"].CronTrigger(timezone=berlin, **fields)
        t, wraps = s0, 0
        start = time.perf_counter()
        for _ in range(n):
            t = trigger.get_next_fire_time(t, t)
            if t >= horizon:
                t, wraps = s0, wraps + 1
        elapsed = time.perf_counter() - start
        report(impl, f"W1-{name}", elapsed * 1e9 / n, "ns/op", n, check=t.isoformat(), wraps=wraps)


def w2(impl: str, n: int) -> None:
    mods = load(impl)
    counter = [0]
    lock = threading.Lock()
    done = threading.Event()
    end = [0.0]

    def body() -> None:
        with lock:
            counter[0] += 1
            if counter[0] == n:
                end[0] = time.perf_counter()
                done.set()

    scheduler = mods["background"].BackgroundScheduler(
        timezone="UTC", executors={"default": {"type": "threadpool", "max_workers": 10}},
        job_defaults={"misfire_grace_time": None})
    scheduler.start(paused=True)
    now = datetime.now(timezone.utc)
    add_start = time.perf_counter()
    for _ in range(n):
        scheduler.add_job(body, "date", run_date=now)
    add_s = time.perf_counter() - add_start
    start = time.perf_counter()
    scheduler.resume()
    finished = done.wait(600)
    elapsed = end[0] - start
    name = f"W2-{n // 1000}k"
    if finished:
        report(impl, name, n / elapsed, "jobs/s", n, elapsed_s=elapsed, add_s=add_s)
    else:
        report(impl, name, None, "jobs/s", n, error=f"{counter[0]} of {n} ran in 600 s", add_s=add_s)
    os._exit(0)  # a scheduler that does not stop promptly must not hold the result


def w3(impl: str) -> None:
    mods = load(impl)
    m = 1000
    t0 = math.ceil(time.time()) + 2
    starts = [[] for _ in range(m)]
    scheduler = mods["background"].BackgroundScheduler(
        timezone="UTC", executors={"default": {"type": "threadpool", "max_workers": 10}},
        job_defaults={"misfire_grace_time": None, "coalesce": False, "max_instances": 100})
    scheduler.start()
    def record(i: int) -> None:
        starts[i].append(time.time())

    for i in range(m):
        start = datetime.fromtimestamp(t0 + i / 1000, timezone.utc)
        scheduler.add_job(record, "interval", seconds=1, start_date=start, args=[i])
    time.sleep(max(0.0, t0 + 21.5 - time.time()))
    scheduler.shutdown(wait=False)
    lateness = []
    for i, recorded in enumerate(starts):
        for k, started in enumerate(recorded[:20]):
            lateness.append((started - (t0 + i / 1000 + k)) * 1000)
    lateness.sort()

    def pct(p: float) -> float:
        return lateness[max(0, math.ceil(p / 100 * len(lateness)) - 1)]

    extra = dict(expected=20000, min_ms=lateness[0])
    report(impl, "W3-p50", pct(50), "ms", len(lateness), **extra)
    report(impl, "W3-p99", pct(99), "ms", len(lateness), **extra)
    report(impl, "W3-max", lateness[-1], "ms", len(lateness), **extra)
    os._exit(0)


def w4_add(impl: str, n: int) -> None:
    mods = load(impl)
    directory = tempfile.mkdtemp(dir="/tmp")
    store = mods["sqlalchemy"].SQLAlchemyJobStore(url=f"sqlite:///{directory}/jobs.sqlite")
    scheduler = mods["background"].BackgroundScheduler(timezone="UTC", jobstores={"default": store})
    scheduler.start()
    start = time.perf_counter()
    for _ in range(n):
        scheduler.add_job(noop.noop, "interval", hours=1)
    elapsed = time.perf_counter() - start
    report(impl, "W4-add", n / elapsed, "jobs/s", n, elapsed_s=elapsed)
    os._exit(0)


def w4_restart(impl: str, n: int) -> None:
    """Fills a fresh SQLite store with `n` hourly jobs and a sentinel due a
    second ago (setup, not timed), then times a fresh process from opening
    the store to the sentinel's run."""
    directory = tempfile.mkdtemp(dir="/tmp")
    url = f"sqlite:///{directory}/jobs.sqlite"
    try:
        setup = time.perf_counter()
        (fill_apscheduler if impl == "apscheduler" else fill_tempora)(url, n)
        setup_s = time.perf_counter() - setup
        child = subprocess.run([sys.executable, __file__, impl, "W4-restart-child", url],
                               capture_output=True, text=True, timeout=300, check=False)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    numbers = child.stdout.split()
    if child.returncode != 0 or len(numbers) != 2:
        error = (child.stderr.strip().splitlines() or [child.stdout.strip()])[-1]
        report(impl, "W4-restart", None, "s", n, error=f"the restarted process failed: {error}", setup_s=setup_s)
        return
    until_run, start_returned = (float(number) for number in numbers)
    report(impl, "W4-restart", until_run, "s", n, start_returned_s=start_returned, setup_s=setup_s)


def fill_apscheduler(url: str, n: int) -> None:
    """APScheduler's store, in its own serialization (pickled job states),
    inserted in one transaction."""
    import pickle
    import uuid

    from apscheduler.job import Job
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger
    from apscheduler.triggers.interval import IntervalTrigger
    from apscheduler.util import datetime_to_utc_timestamp

    store = SQLAlchemyJobStore(url=url)
    scheduler = BackgroundScheduler(timezone="UTC")
    store.start(scheduler, "default")
    now = datetime.now(timezone.utc)

    def row(func, trigger, grace) -> dict:
        next_run = trigger.get_next_fire_time(None, now)
        job = Job(scheduler, id=uuid.uuid4().hex, func=func, trigger=trigger, executor="default", args=(),
                  kwargs={}, name=func.__name__, misfire_grace_time=grace, coalesce=True, max_instances=1,
                  next_run_time=next_run)
        return {"id": job.id, "next_run_time": datetime_to_utc_timestamp(next_run),
                "job_state": pickle.dumps(job.__getstate__(), store.pickle_protocol)}

    hourly = IntervalTrigger(hours=1, timezone="UTC", start_date=now + timedelta(hours=1))
    rows = [row(noop.noop, hourly, 1) for _ in range(n)]
    with store.engine.begin() as connection:
        connection.execute(store.jobs_t.insert(), rows)
    sentinel = DateTrigger(run_date=datetime.now(timezone.utc) - timedelta(seconds=1), timezone="UTC")
    with store.engine.begin() as connection:
        connection.execute(store.jobs_t.insert(), [row(noop.sentinel, sentinel, None)])
    store.shutdown()


def fill_tempora(url: str, n: int) -> None:
    """Tempora's store, through its own add calls on a paused scheduler."""
    mods = load("tempora")
    store = mods["sqlalchemy"].SQLAlchemyJobStore(url=url)
    scheduler = mods["background"].BackgroundScheduler(timezone="UTC", jobstores={"default": store})
    scheduler.start(paused=True)
    for _ in range(n):
        scheduler.add_job(noop.noop, "interval", hours=1)
    scheduler.add_job(noop.sentinel, "date", run_date=datetime.now(timezone.utc) - timedelta(seconds=1),
                      misfire_grace_time=None)
    scheduler.shutdown(wait=False)


def w4_restart_child(impl: str, url: str) -> None:
    """The restarted process: prints the seconds until the sentinel ran and
    until `start()` returned."""
    mods = load(impl)
    if impl == "apscheduler":
        import sqlalchemy.dialects.sqlite  # noqa: F401  (imported before the clock starts)
    start = time.perf_counter()
    store = mods["sqlalchemy"].SQLAlchemyJobStore(url=url)
    scheduler = mods["background"].BackgroundScheduler(timezone="UTC", jobstores={"default": store})
    scheduler.start()
    start_returned = time.perf_counter() - start
    if not noop.sentinel_ran.wait(60):
        print("the sentinel did not run within 60 s", file=sys.stderr, flush=True)
        os._exit(1)
    print(noop.sentinel_at[0] - start, start_returned, flush=True)
    os._exit(0)


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def w5(impl: str) -> None:
    from zoneinfo import ZoneInfo

    mods = load(impl)
    berlin = ZoneInfo("Europe/Berlin")
    n = 100_000
    scheduler = mods["background"].BackgroundScheduler(timezone="UTC")
    scheduler.start(paused=True)
    time.sleep(0.2)
    gc.collect()
    rss0 = rss()
    for _ in range(n):
        trigger = mods["cron"].CronTrigger(second=0, minute="*/15", hour="9-17", day_of_week="mon-fri",
                                           timezone=berlin)
        scheduler.add_job(noop.noop, trigger)
    time.sleep(0.2)
    gc.collect()
    rss1 = rss()
    report(impl, "W5", (rss1 - rss0) / n, "bytes/job", n, rss0=rss0, rss1=rss1)
    os._exit(0)


def run_one(impl: str, workload: str, *args: str) -> None:
    if workload == "W1":
        w1(impl, int(args[0]) if args else 100_000)
    elif workload == "W2":
        w2(impl, int(args[0]))
    elif workload == "W3":
        w3(impl)
    elif workload == "W4-add":
        w4_add(impl, int(args[0]) if args else 2_000)
    elif workload == "W4-restart":
        w4_restart(impl, int(args[0]) if args else 100_000)
    elif workload == "W4-restart-child":
        w4_restart_child(impl, args[0])
    elif workload == "W5":
        w5(impl)
    else:
        raise SystemExit(f"workload: {workload!r} is not W1, W2, W3, W4-add, W4-restart or W5")


def main() -> None:
    if len(sys.argv) > 2:
        run_one(sys.argv[1], sys.argv[2], *sys.argv[3:])
        return
    plan = [("W1",), ("W2", "10000"), ("W2", "100000"), ("W3",), ("W4-add", "2000"), ("W4-restart", "100000"),
            ("W5",)]
    for workload in plan:
        for impl in ("apscheduler", "tempora"):
            subprocess.run([sys.executable, __file__, impl, *workload], check=False)


if __name__ == "__main__":
    main()
