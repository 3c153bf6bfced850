"""The package is typed (py.typed, and a stub for its Rust half): mypy
checks it, accepts a program that uses the API well and refuses one that
does not."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def mypy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", *args],
                          capture_output=True, text=True)


def test_the_package_type_checks():
    result = mypy("-p", "tempora")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_program_using_the_api_type_checks_and_a_misuse_is_found(tmp_path):
    good = tmp_path / "good.py"
    good.write_text(textwrap.dedent("""
        from datetime import datetime
        from typing import Optional
        from tempora.events import EVENT_JOB_EXECUTED, JobExecutionEvent
        from tempora.job import Job
        from tempora.schedulers.background import BackgroundScheduler
        from tempora.triggers.cron import CronTrigger

        def tick() -> None:
            print("tick")

        def on_run(event: JobExecutionEvent) -> None:
            print(event.job_id, event.retval)

        scheduler = BackgroundScheduler(timezone="UTC")
        job: Job = scheduler.add_job(tick, "interval", seconds=5, id="tick")
        scheduler.add_job(tick, CronTrigger.from_crontab("*/5 * * * *"))
        scheduler.add_listener(on_run, EVENT_JOB_EXECUTED)
        next_run: Optional[datetime] = job.next_run_time
        found: Optional[Job] = scheduler.get_job("tick")
    """))
    result = mypy("--strict", str(good))
    assert result.returncode == 0, result.stdout

    bad = tmp_path / "bad.py"
    bad.write_text(textwrap.dedent("""
        from tempora.schedulers.background import BackgroundScheduler
        scheduler = BackgroundScheduler()
        scheduler.get_job(42)
        count: int = scheduler.get_jobs()
    """))
    result = mypy(str(bad))
    assert result.returncode == 1
    assert 'Argument 1 to "get_job" of "BaseScheduler" has incompatible type "int"' in result.stdout
    assert "Incompatible types in assignment" in result.stdout
