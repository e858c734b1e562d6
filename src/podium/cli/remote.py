"""A client of a podium server: what `podium submit --server` uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from podium.core.errors import PodiumError, RuleError, SubmissionError
from podium.submission.archive import archive_suffix, read_submission


def upload_submission(
    server: str, token: str, path: Path, *, team: str | None = None, timeout: float = 300.0
) -> dict[str, Any]:
    """Pack (if a folder) and upload a submission; the server's message on refusal. The token
    is checked first, so a wrong one costs a request, not an upload."""
    data = read_submission(path)
    name = path.name if path.is_file() else f"{path.resolve().name}{archive_suffix(data)}"
    base = server.rstrip("/")
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=timeout) as http:
            me = http.get("/api/me")
            if me.status_code != 200:
                raise RuleError(f"the server refused the token ({me.status_code}): {_error(me)}")
            response = http.post(
                "/api/submissions",
                data={"team": team} if team else None,
                files={"file": (name, data, "application/octet-stream")},
            )
    except (httpx.ConnectError, httpx.ConnectTimeout) as err:
        raise PodiumError(
            f"cannot reach the podium server: {err}",
            where=base,
            hint="check --server (e.g. http://host:8000) and that `podium serve` runs there",
        ) from None
    except httpx.HTTPError as err:
        raise PodiumError(
            f"the upload to the podium server broke off: {err}",
            where=base,
            hint=f"an archive of {len(data) / 2**20:.1f} MiB may be over the server's limit "
            "([sandbox] max_upload_bytes); otherwise retry",
        ) from None
    if response.status_code == 201:
        body: dict[str, Any] = response.json()
        return body
    error = SubmissionError if response.status_code in (413, 422) else RuleError
    raise error(f"the server refused the submission ({response.status_code}): {_error(response)}")


def _error(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text))
    except (ValueError, AttributeError):
        return response.text[:500]
