"""HTTP to a podium server's job routes, for `podium job` and `podium budget`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from podium.core.errors import NotFoundError, PodiumError, RuleError
from podium.submission.archive import archive_suffix, read_submission

ENDED = ("done", "failed", "stopped", "cancelled")
FOLLOW_SECONDS = 1.0


class JobsClient:
    """One server, one token; every refusal is the server's own message."""

    def __init__(self, server: str, token: str, *, timeout: float = 300.0) -> None:
        self.base = server.rstrip("/")
        self.http = httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as err:
            raise PodiumError(
                f"cannot reach the podium server: {err}",
                where=self.base,
                hint="check --server (e.g. http://host:8000) and that `podium serve` runs there",
            ) from None
        if response.status_code >= 400:
            error = NotFoundError if response.status_code == 404 else RuleError
            raise error(f"the server refused ({response.status_code}): {_error(response)}")
        return response

    def run(self, folder: Path, *, hardware: str | None, team: str | None) -> dict[str, Any]:
        data = read_submission(folder)
        name = folder.name if folder.is_file() else f"{folder.resolve().name}{archive_suffix(data)}"
        fields = {k: v for k, v in (("hardware", hardware), ("team", team)) if v}
        answer: dict[str, Any] = self._call(
            "POST", "/api/jobs", data=fields or None,
            files={"file": (name, data, "application/octet-stream")},
        ).json()  # fmt: skip
        return answer

    def jobs(self) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = self._call("GET", "/api/jobs").json()
        return jobs

    def budget(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._call("GET", "/api/budget").json()
        return rows

    def cancel(self, job_id: int) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("POST", f"/api/jobs/{job_id}/cancel").json()
        return answer

    def logs(self, job_id: int, write: Callable[[str], None], *, follow: bool) -> None:
        """Write the log; with `follow`, poll for more until the job has ended."""
        offset = 0
        while True:
            response = self._call("GET", f"/api/jobs/{job_id}/log", params={"offset": offset})
            if response.text:
                write(response.text)
            offset = int(response.headers.get("X-Podium-Log-Next", offset))
            ended = response.headers.get("X-Podium-Job-Status") in ENDED
            if not follow or (ended and not response.text):
                return
            if not response.text:
                time.sleep(FOLLOW_SECONDS)

    def fetch(self, job_id: int, target: Path) -> int:
        response = self._call("GET", f"/api/jobs/{job_id}/artifact")
        target.write_bytes(response.content)
        return len(response.content)


def _error(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text))
    except (ValueError, AttributeError):
        return response.text[:500]
