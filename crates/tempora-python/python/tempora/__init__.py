"""Tempora for Python: APScheduler 3's API on Tempora's engine.

Change ``from apscheduler.schedulers.background import BackgroundScheduler``
to ``from tempora.schedulers.background import BackgroundScheduler``::

    from tempora.schedulers.background import BackgroundScheduler

    def tick():
        print("tick")

    scheduler = BackgroundScheduler()
    scheduler.add_job(tick, "interval", seconds=5)
    scheduler.start()
"""

from ._native import system_timezone as _system_timezone

__version__ = version = "0.1.0"
__all__ = ["__version__"]

_ = _system_timezone
