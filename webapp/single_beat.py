"""`celery -A worker beat`'s scheduler: however many beats run, only the one holding the beat lock sends (ADR 48).

The others send nothing; each says so in its log when it starts waiting and then every NOTICE_EVERY, naming the
holder, and tries the lock every RETRY_EVERY: when the holder dies its lock is released (webapp.beat_lock) and one
of them takes over within that time.
"""

import logging
import time
from pathlib import Path
from typing import Any

from celery.beat import Scheduler

from .beat_lock import BeatLock, lock_for

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"
RETRY_EVERY = 5.0  # seconds between a waiting beat's tries of the lock: the bound on a take-over
NOTICE_EVERY = 300.0  # seconds between two "another beat holds the lock" lines of a waiting beat


class SingleBeatScheduler(Scheduler):
    """Celery's scheduler (in memory: no schedule file two beats on one machine would share), ticking only while
    this process holds the beat lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock: BeatLock | None = None
        self._holding = False
        self._next_notice = 0.0
        super().__init__(*args, **kwargs)

    @property
    def lock(self) -> BeatLock:
        if self._lock is None:
            conf = self.app.conf
            self._lock = lock_for(conf.cdht_database_url, Path(conf.cdht_instance_path))
        return self._lock

    def tick(self, *args: Any, **kwargs: Any) -> float:
        """Send what is due if this beat holds the lock; otherwise send nothing and try again in RETRY_EVERY."""
        if self.lock.hold():
            if not self._holding:
                log.info("this beat holds the beat lock: it sends the schedule")
                self._holding, self._next_notice = True, 0.0
            return float(super().tick(*args, **kwargs))
        if self._holding:
            log.warning("this beat lost the beat lock: it sends nothing until it holds it again")
            self._holding = False
        if time.monotonic() >= self._next_notice:
            log.warning("another beat holds the beat lock (%s): this one sends nothing, and takes over within "
                        "%.0f s of its end", self.lock.holder() or "holder unknown", RETRY_EVERY)
            self._next_notice = time.monotonic() + NOTICE_EVERY
        return RETRY_EVERY

    def close(self) -> None:
        super().close()
        if self._lock is not None:
            self._lock.release()
