"""One of several processes sharing a PostgreSQL store (a gunicorn worker,
say): schedules the same per-second job as the others, records every run it
makes, and shuts down at the end time.

Usage: cluster_worker.py URL PREFIX START END DIRECTORY
"""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tempora.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED  # noqa: E402
from tempora.jobstores.sqlalchemy import SQLAlchemyJobStore  # noqa: E402
from tempora.schedulers.background import BackgroundScheduler  # noqa: E402


def main() -> None:
    url, prefix, start, end, directory = sys.argv[1:6]
    start_time = datetime.fromtimestamp(int(start), timezone.utc)
    end_time = float(end)
    lock = threading.Lock()
    log = open(os.path.join(directory, f"events-{os.getpid()}.txt"), "a")

    def on_event(event):
        with lock:
            kind = {EVENT_JOB_EXECUTED: "ran", EVENT_JOB_ERROR: "error", EVENT_JOB_MISSED: "missed"}[event.code]
            # An error's line says what it was, so that a failing test shows it.
            reason = f" {getattr(event, 'exception', None)!r}" if kind == "error" else ""
            log.write(f"{kind} {int(event.scheduled_run_time.timestamp())}{reason}\n")
            log.flush()

    scheduler = BackgroundScheduler(timezone="UTC", jobstores={"default": SQLAlchemyJobStore(url=url, tablename=prefix)})
    scheduler.add_listener(on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    scheduler.add_job("jobs:append_line", "interval", seconds=1, start_date=start_time, id="tick",
                      args=[os.path.join(directory, "runs.txt")], replace_existing=True)
    scheduler.start()
    time.sleep(max(0.0, end_time - time.time()))
    scheduler.shutdown(wait=True)
    log.close()


if __name__ == "__main__":
    main()
