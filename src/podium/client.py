"""A client of a podium server: what `podium submit --server` uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from podium.errors import PodiumError, RuleError, SubmissionError
from podium.submission.archive import archive_suffix, read_submission


def upload_submission(
    server: str, token: str, path: Path, *, team: str | None = None, timeout: float = 300.0
) -> dict[str, Any]:
    """Pack (if a folder) and upload a submission; the server's message on refusal."""
    data = read_submission(path)
    name = path.name if path.is_file() else f"{path.resolve().name}{archive_suffix(data)}"
    url = server.rstrip("/") + "/api/submissions"
    try:
        response = httpx.post(
            url,
            headers={"Authorization": f"Bearer {token}"},
            files={"file": (name, data, "application/octet-stream")},
            data={"team": team} if team else None,
            timeout=timeout,
        )
    except httpx.HTTPError as err:
        raise PodiumError(
            f"cannot reach the podium server: {err}",
            where=url,
            hint="check --server (e.g. http://host:8000) and that `podium serve` runs there",
        ) from None
    if response.status_code == 201:
        body: dict[str, Any] = response.json()
        return body
    try:
        message = str(response.json().get("error", response.text))
    except ValueError:
        message = response.text[:500]
    error = SubmissionError if response.status_code in (413, 422) else RuleError
    raise error(f"the server refused the submission ({response.status_code}): {message}")
