"""What a worker asks of the server, over HTTP(S) with its worker token."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from podium.core.errors import PlatformError, PodiumError

LEASE_HEADER = "X-Podium-Lease"


class LeaseLost(PodiumError):
    """The server no longer lets this worker hold the run (expired, or taken by another)."""


class ServerClient:
    def __init__(self, server: str, token: str, *, timeout: float = 300.0) -> None:
        self.base = server.rstrip("/")
        self.http = httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )

    def close(self) -> None:
        self.http.close()

    def hello(self, hardware: str, fingerprint: dict[str, Any]) -> dict[str, Any]:
        return self._json("POST", "/api/worker/hello",
                          json={"hardware": hardware, "fingerprint": fingerprint})  # fmt: skip

    def claim(
        self, *, submission_id: int | None = None, run_id: int | None = None
    ) -> dict[str, Any] | None:
        """The run's lease, or None when the submission (or re-measurement) is not waiting."""
        body = {"submission_id": submission_id} if run_id is None else {"run_id": run_id}
        response = self._send("POST", "/api/worker/claim", json=body)
        if response.status_code == 409:
            return None
        return _ok(response)

    def heartbeat(self, run_id: int, lease: str) -> None:
        response = self._send("POST", f"/api/worker/runs/{run_id}/heartbeat",
                              headers={LEASE_HEADER: lease})  # fmt: skip
        if response.status_code == 409:
            raise LeaseLost(_detail(response))
        _ok(response)

    def download(self, path: str, target: Path, lease: str | None = None) -> None:
        """Stream a file to `target` (written beside it, then renamed: never half a file)."""
        partial = target.with_name(target.name + ".part")
        headers = {LEASE_HEADER: lease} if lease else {}
        try:
            with self.http.stream("GET", path, headers=headers) as response:
                if response.status_code != 200:
                    response.read()
                    raise PlatformError(f"the server refused {path}: {_detail(response)}")
                with partial.open("wb") as out:
                    for chunk in response.iter_bytes(1 << 20):
                        out.write(chunk)
        except httpx.HTTPError as err:
            raise PlatformError(f"download of {path} failed: {err}") from None
        partial.rename(target)

    def report(
        self,
        run_id: int,
        lease: str,
        report: dict[str, Any],
        log: Path | None,
        predictions: dict[str, Path],
    ) -> dict[str, Any]:
        with ExitStack() as stack:
            files: list[tuple[str, tuple[str, Any, str]]] = [
                ("predictions", (name, stack.enter_context(path.open("rb")), "application/jsonl"))
                for name, path in sorted(predictions.items())
            ]
            if log is not None and log.is_file():
                files.append(
                    ("log", ("log.txt", stack.enter_context(log.open("rb")), "text/plain"))
                )
            response = self._send(
                "POST",
                f"/api/worker/runs/{run_id}/result",
                headers={LEASE_HEADER: lease},
                data={"report": json.dumps(report)},
                files=files or None,
            )
        if response.status_code == 409:
            raise LeaseLost(_detail(response))
        return _ok(response)

    # -- training jobs -----------------------------------------------------------------
    def claim_job(self) -> dict[str, Any] | None:
        """The next training job of this worker's label, or None when none may start."""
        response = self._send("POST", "/api/worker/jobs/claim")
        if response.status_code == 409:
            return None
        return _ok(response)

    def job_heartbeat(self, job_id: int, lease: str, offset: int, chunk: bytes) -> dict[str, Any]:
        """Renew a job's lease and send the log's next bytes; the server's answer (whether
        the team cancelled, which log byte it wants next)."""
        response = self._send("POST", f"/api/worker/jobs/{job_id}/heartbeat",
                              params={"offset": offset}, content=chunk,
                              headers={LEASE_HEADER: lease,
                                       "Content-Type": "application/octet-stream"})  # fmt: skip
        if response.status_code == 409:
            raise LeaseLost(_detail(response))
        return _ok(response)

    def job_report(
        self, job_id: int, lease: str, report: dict[str, Any], log: Path, artifact: Path | None
    ) -> dict[str, Any]:
        with ExitStack() as stack:
            files: list[tuple[str, tuple[str, Any, str]]] = []
            if log.is_file():
                files.append(
                    ("log", ("log.txt", stack.enter_context(log.open("rb")), "text/plain"))
                )
            if artifact is not None and artifact.is_file():
                handle = stack.enter_context(artifact.open("rb"))
                files.append(("artifact", ("output.tar.gz", handle, "application/gzip")))
            response = self._send("POST", f"/api/worker/jobs/{job_id}/result",
                                  headers={LEASE_HEADER: lease},
                                  data={"report": json.dumps(report)}, files=files or None)  # fmt: skip
        if response.status_code == 409:
            raise LeaseLost(_detail(response))
        return _ok(response)

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return _ok(self._send(method, path, **kwargs))

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.HTTPError as err:
            raise PlatformError(f"cannot reach the podium server at {self.base}: {err}") from None


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise PodiumError(f"the server answered {response.status_code}: {_detail(response)}")
    body: dict[str, Any] = response.json()
    return body


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    return str(body.get("detail", body)) if isinstance(body, dict) else str(body)
