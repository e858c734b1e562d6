"""The server's deliverer: a background thread sending the outbox's news, apart from the
evaluator, so a slow chat service never holds up a run (and a run never holds up news)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from podium.core.errors import PodiumError
from podium.service import Podium

log = logging.getLogger("podium.news")


class Courier:
    """Every `poll` seconds (or when woken) sends what is due in the outbox."""

    def __init__(self, root: Path, *, poll: float = 1.0) -> None:
        self.root = root
        self.poll = poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="podium-courier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def notify(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        podium = Podium.open(self.root)
        try:
            try:
                podium.news.check_teams()
            except PodiumError as err:  # teams may be added later: said, not fatal
                log.warning("%s (%s)", err.message, err.hint)
            while not self._stop.is_set():
                try:
                    podium.news.deliver(within=self.poll * 10)
                except Exception:  # the store is away for a moment: the next pass tries again
                    log.exception("delivering news failed")
                self._wake.wait(self.poll)
                self._wake.clear()
        finally:
            podium.close()
