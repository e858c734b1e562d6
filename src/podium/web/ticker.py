"""The server's clock for scheduled stages: a small thread that applies the schedule every
`every` seconds, so stages open and close on time with nobody at a page or a terminal."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from podium.service import Podium
from podium.web.evaluator import Evaluator

log = logging.getLogger("podium.ticker")


class ScheduleTicker:
    """Applies `Podium.schedule` on its own store connection; a stage it closes is published
    on the evaluator (photo finish first) when the server evaluates, here otherwise."""

    def __init__(self, root: Path, *, every: float = 1.0, worker: Evaluator | None = None) -> None:
        self.root, self.every, self.worker = root, every, worker
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="podium-schedule", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        podium = Podium.open(self.root)
        try:
            while not self._stop.wait(self.every):
                self.tick(podium)
        finally:
            podium.close()

    def tick(self, podium: Podium) -> None:
        try:
            podium.schedule.apply(publish=None if self.worker is None else self._publish_later)
        except Exception:  # the server keeps serving; the next tick tries again
            log.exception("schedule failed")

    def _publish_later(self, stage: str) -> None:
        assert self.worker is not None
        self.worker.submit_job(lambda p: p.finals.publish(stage))
