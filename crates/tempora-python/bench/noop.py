"""The job bodies that persistent stores reference by name."""

import threading
import time
from typing import List

#: Set by `sentinel` (W4-restart), with the monotonic time it ran at.
sentinel_ran = threading.Event()
sentinel_at: List[float] = []


def noop() -> None:
    pass


def sentinel() -> None:
    sentinel_at.append(time.perf_counter())
    sentinel_ran.set()
