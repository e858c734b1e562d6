"""With a broker, the server's evaluator only sends and watches: each queued submission
goes to its label's queue once (again after a platform fault), and runs whose worker went
silent are ended by the reaper and queued again."""

from __future__ import annotations

import logging

from podium.service import Podium
from podium.worker.broker import make_app, send

log = logging.getLogger("podium.dispatch")


class Dispatcher:
    """One step of the server's loop in the workers mode (called by `EvaluationWorker`)."""

    def __init__(self, broker: str) -> None:
        self.app = make_app(broker)

    def __call__(self, podium: Podium) -> object:
        for lost in podium.fleet.reap():
            log.warning("run %s: %s", lost.run_id, lost.error)
        sent = []
        for submission_id in podium.fleet.undispatched():
            send(self.app, podium.fleet.queue, submission_id)  # a broker down raises: next pass
            podium.fleet.dispatched(submission_id)
            sent.append(submission_id)
        return sent
