"""The Celery side: one task name, queues per competition and hardware label, and the
settings that make a worker run one timed test phase at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from podium.core.errors import MissingExtraError

if TYPE_CHECKING:  # Celery comes with podium[workers]; a bare install serves without it
    from celery import Celery

TASK = "podium.evaluate"  # args: [submission_id], on the label's queue
REMEASURE = "podium.remeasure"  # args: [run_id], on one worker's own queue (photo finish)
TRAIN = "podium.train"  # args: [job_id], on the job's label queue: a wake-up, claimed fairly


def make_app(broker: str) -> Celery:
    """A Celery app on `broker` (Redis): late acknowledgement, prefetch 1, nothing stored."""
    try:
        from celery import Celery
    except ModuleNotFoundError as err:
        raise MissingExtraError("workers", "evaluation by workers (a broker)", err.name) from None
    app = Celery("podium", broker=broker)
    app.conf.update(
        task_acks_late=True,  # a task a worker dies in goes back to the queue
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a machine holds one task: the others wait for others
        worker_concurrency=1,
        task_ignore_result=True,  # results go to the server over HTTP, never to the broker
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        task_serializer="json",
        accept_content=["json"],
    )
    return app


def send(app: Celery, queue: str, submission_id: int) -> None:
    """Queue one submission's run on its label's queue (duplicates are harmless: the server
    hands a submission to one claim only)."""
    app.send_task(TASK, args=[submission_id], queue=queue, routing_key=queue)


def send_remeasure(app: Celery, queue: str, run_id: int) -> None:
    app.send_task(REMEASURE, args=[run_id], queue=queue, routing_key=queue)


def send_job(app: Celery, queue: str, job_id: int) -> None:
    """Wake a worker of the job's label: it claims the next job fairly (not necessarily
    this one), so a lost or duplicate wake-up is harmless."""
    app.send_task(TRAIN, args=[job_id], queue=queue, routing_key=queue)
