"""The server's evaluator: one background thread running the queue, so uploads get scored
without an organizer at a terminal. It holds the same lock as `podium evaluate`, so two
evaluators never share the machine (and durations stay fair)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from podium.core.errors import PodiumError
from podium.service import Podium

if TYPE_CHECKING:
    from podium.harness.training import JobControl

log = logging.getLogger("podium.worker")
Job = Callable[[Podium], object]


class Evaluator:
    """Wakes on a new submission (or every `poll` seconds) and evaluates what is queued.

    Stopping lets the run in progress finish for `grace` seconds at most (`stop_now`: not at
    all), then ends it as the platform's fault, its submission queued again: a stop never
    loses a run nor costs an attempt, and never takes longer than stated."""

    def __init__(
        self, root: Path, *, poll: float = 5.0, step: Job | None = None, grace: float = 30.0
    ) -> None:
        self.root = root
        self.poll = poll
        self.grace = grace
        self.say: Callable[[str], None] = log.warning  # `podium serve` prints instead
        self.step: Job = step or self._evaluate_queue  # with workers: dispatch and reap instead
        # a dispatcher runs beside the jobs: a photo finish job waits on runs it sends
        self._apart = step is not None
        self._step_wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._jobs: list[Job] = []
        self._lock = threading.Lock()
        self.busy = False
        self.last_error: str | None = None
        self.jobs = _job_control()  # training jobs run beside, held while evaluation runs
        self._jobs_wake = threading.Event()
        self._now = threading.Event()  # stop without waiting for the run in progress
        self._podium: Podium | None = None  # the evaluating thread's

    def start(self) -> None:
        self._threads = [
            threading.Thread(target=self._loop, name="podium-evaluator", daemon=True),
            threading.Thread(target=self._jobs_loop, name="podium-jobs", daemon=True),
        ]
        if self._apart:
            self._threads.append(
                threading.Thread(target=self._step_loop, name="podium-dispatcher", daemon=True)
            )
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._step_wake.set()
        self._jobs_wake.set()
        self.jobs.shutdown.set()  # a running job ends with the server, queued again unbilled
        self._finish_or_interrupt()
        for thread in self._threads:
            thread.join(timeout=30)

    def running(self) -> int | None:
        """The run this server evaluates now, if any."""
        podium = self._podium
        return podium.evaluation.current if podium is not None and self.busy else None

    def stopping_note(self) -> str:
        """What a stop will do, said when it is asked for."""
        run = self.running()
        if run is None:
            return "stopping"
        return (f"stopping: waiting up to {self.grace:g} s for run {run} to finish, then it "
                "is stopped and queued again; Ctrl-C or SIGTERM again to stop it now")  # fmt: skip

    def stop_now(self) -> None:
        self._now.set()

    def _finish_or_interrupt(self) -> None:
        deadline = time.monotonic() + self.grace
        while self.busy and not self._now.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._now.wait(min(left, 0.2))  # the evaluating thread ends or a signal comes
        if not self.busy:
            return
        podium = Podium.open(self.root)
        try:
            why = "the server stopped during this run; it is queued again"
            stopped = podium.evaluation.stop_running(why)
        finally:
            podium.close()
        if stopped:
            self.say(f"stopped run {', '.join(map(str, stopped))}: queued again, no attempt used")

    def notify(self) -> None:
        self._wake.set()
        self._step_wake.set()
        self._jobs_wake.set()

    def submit_job(self, job: Job) -> None:
        """Organizer actions that evaluate (the final) run here, not in a request."""
        with self._lock:
            self._jobs.append(job)
        self._wake.set()

    def _loop(self) -> None:
        podium = self._podium = Podium.open(self.root)
        try:
            while not self._stop.is_set():
                self._wake.wait(self.poll)
                self._wake.clear()
                if self._stop.is_set():
                    break
                self._run_once(podium)
        finally:
            podium.close()

    def _step_loop(self) -> None:
        podium = Podium.open(self.root)
        try:
            while not self._stop.is_set():
                self._step_wake.wait(self.poll)
                self._step_wake.clear()
                if self._stop.is_set():
                    break
                try:
                    self.step(podium)
                except Exception as err:  # the broker is away: the next pass tries again
                    self.last_error = f"{type(err).__name__}: {err}"
                    log.exception("dispatcher failed")
        finally:
            podium.close()

    def _jobs_loop(self) -> None:
        """Training jobs of the server's own label, one at a time, fairly (service/jobs.py);
        none starts while an evaluation runs. With workers the dispatcher sends them out."""
        podium = Podium.open(self.root)
        try:
            podium.jobs.recover_interrupted()
            while not self._stop.is_set() and not self._apart:  # with workers: they run jobs
                self._jobs_wake.wait(self.poll)
                self._jobs_wake.clear()
                while not self._stop.is_set() and not self.jobs.paused.is_set():
                    self.jobs.cancelled.clear()
                    try:
                        ran = podium.jobs.run_next(podium.evaluation.runner, self.jobs)
                    except Exception:  # requeued by the service: the server keeps serving
                        log.exception("training job failed")
                        break
                    if ran is None:
                        break
        finally:
            podium.close()

    def _evaluate_queue(self, podium: Podium) -> object:
        return podium.evaluation.evaluate_pending(stop=self._stop.is_set)

    def _run_once(self, podium: Podium) -> None:
        with self._lock:
            jobs, self._jobs = self._jobs, []
        self.busy = True
        try:
            for job in [*jobs] if self._apart else [*jobs, self.step]:
                try:
                    with self.jobs.hold():  # evaluation keeps priority over training jobs
                        job(podium)
                    self.last_error = None
                except PodiumError as err:  # e.g. another evaluator holds the lock
                    self.last_error = err.message
                    log.warning("evaluator: %s", err.message)
                except Exception as err:  # the server must keep serving
                    self.last_error = f"{type(err).__name__}: {err}"
                    log.exception("evaluator failed")
        finally:
            self.busy = False
            self._jobs_wake.set()


def _job_control() -> JobControl:
    from podium.harness.training import JobControl

    return JobControl()
