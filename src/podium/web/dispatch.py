"""With a broker, the server's evaluator only sends and watches: each queued submission
goes to its label's queue once (again after a platform fault), a photo finish's runs to the
queue of the one worker that re-measures, and runs whose worker went silent are ended by
the reaper and queued again. Training jobs go the same way: a wake-up on their label's
queue, and a job whose worker went silent is queued again, unbilled."""

from __future__ import annotations

import logging

from podium.service import Podium
from podium.service.dispatch import queue_name
from podium.worker.broker import make_app, send, send_job, send_remeasure

log = logging.getLogger("podium.dispatch")


class Dispatcher:
    """One step of the server's loop in the workers mode (called by `Evaluator`)."""

    def __init__(self, broker: str) -> None:
        self.app = make_app(broker)
        self._sent_runs: set[int] = set()  # re-measurements sent (again after a restart: harmless)

    def __call__(self, podium: Podium) -> object:
        for lost in podium.leases.reap():
            log.warning("run %s: %s", lost.run_id, lost.error)
        sent = []
        for submission_id in podium.dispatch.undispatched():
            send(self.app, podium.dispatch.queue, submission_id)  # a broker down raises: next pass
            podium.dispatch.dispatched(submission_id)
            sent.append(submission_id)
        for run_id, queue in podium.dispatch.waiting_runs():
            if run_id not in self._sent_runs:
                send_remeasure(self.app, queue, run_id)
                self._sent_runs.add(run_id)
        for job_id in podium.job_leases.reap():
            log.warning("training job %s: its worker was lost; it runs again", job_id)
        for job_id, label in podium.job_leases.undispatched():
            send_job(self.app, queue_name(podium.competition.spec.name, label), job_id)
            podium.job_leases.dispatched(job_id)
        return sent
