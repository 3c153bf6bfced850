"""Four processes with a BackgroundScheduler each on one PostgreSQL store,
the same per-second job in all of them, for 30 seconds: every fire time runs
exactly once (APScheduler 3 runs it in each process). What ran is counted
from the job's own output and each process's listener, not from the
scheduler's bookkeeping."""

from __future__ import annotations

import collections
import glob
import os
import subprocess
import sys
import time

from conftest import POSTGRES_URL, uses

PROCESSES = 4
SECONDS = 30
HERE = os.path.dirname(os.path.abspath(__file__))


def test_four_processes_on_one_postgresql_store_run_each_fire_time_once(tmp_path, prefix):
    uses(prefix, "postgresql")
    start = int(time.time()) + 6  # after every process has added the job
    end = start + SECONDS
    workers = [
        subprocess.Popen([sys.executable, os.path.join(HERE, "cluster_worker.py"), POSTGRES_URL, prefix,
                          str(start), str(end), str(tmp_path)])
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        assert worker.wait(timeout=SECONDS + 60) == 0

    ran = collections.Counter()
    problems = []
    for path in glob.glob(str(tmp_path / "events-*.txt")):
        for line in open(path):
            kind, scheduled = line.split()[:2]
            if kind == "ran":
                ran[int(scheduled)] += 1
            else:
                problems.append(line)
    runs = open(tmp_path / "runs.txt").read().split()

    assert problems == []
    doubled = {second: count for second, count in ran.items() if count > 1}
    assert doubled == {}
    # Every second from the start to the last fire time before shutdown ran.
    last = max(ran)
    assert last >= end - 2
    assert sorted(ran) == list(range(start, last + 1))
    # The job itself ran as often as the listeners say: once a fire time.
    assert len(runs) == sum(ran.values())
