"""A client of a podium server: what `podium submit|status|leaderboard|submissions|run|
cancel|final select --server` use.

An archive of gigabytes is streamed from disk (a folder is packed into a temporary file
first), with a progress bar. The upload carries an idempotency key: after a dropped
connection it is sent again with the same key, and a server that had stored it answers with
that submission instead of spending a second attempt.
"""

from __future__ import annotations

import contextlib
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import httpx

from podium.core.errors import NotFoundError, PodiumError, RuleError, SubmissionError
from podium.submission.archive import archive_suffix

RETRIES = 4  # after the first try: 5 uploads at most, 1, 2, 4, 8 s apart
KEY_HEADER = "Idempotency-Key"


class _Counted:
    """A file read by httpx in chunks, each chunk reported (the progress bar)."""

    def __init__(self, handle: IO[bytes], advance: Callable[[int], None]) -> None:
        self.handle, self.advance = handle, advance

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.advance(len(chunk))
        return chunk

    def fileno(self) -> int:
        return self.handle.fileno()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.handle.seek(offset, whence)

    def tell(self) -> int:
        return self.handle.tell()


@contextlib.contextmanager
def _archive_file(path: Path) -> Iterator[tuple[Path, str]]:
    """The archive to send, on disk, and its name: a folder packed, an archive as it is."""
    from podium.submission.archive import pack_folder_to
    from podium.submission.listing import kind_of

    if not path.exists():
        raise SubmissionError("no such file or folder", where=str(path))
    if path.is_file():
        with path.open("rb") as handle:
            try:
                kind_of(handle, str(path))
            except SubmissionError:
                raise SubmissionError(
                    "not a folder, .zip or .tar.gz archive",
                    where=str(path),
                    hint="submit the folder that holds podium.toml, or a zip of it",
                ) from None
        yield path, path.name
        return
    with tempfile.TemporaryDirectory(prefix="podium-upload-") as tmp:
        packed = Path(tmp) / "submission.zip"
        with packed.open("wb") as out:
            pack_folder_to(path, out)
        with packed.open("rb") as handle:
            suffix = archive_suffix(handle.read(4096))
        yield packed, f"{path.resolve().name}{suffix}"


if TYPE_CHECKING:
    from podium.rules.leaderboard import Leaderboard
    from podium.rules.ranking import Decision


def upload_submission(
    server: str,
    token: str,
    path: Path,
    *,
    team: str | None = None,
    timeout: float = 300.0,
    progress: bool = False,
    retries: int = RETRIES,
    backoff: float = 1.0,
) -> dict[str, Any]:
    """Pack (if a folder) and upload a submission; the server's message on refusal. The token
    is checked first, so a wrong one costs a request, not an upload."""
    base = server.rstrip("/")
    key = secrets.token_hex(16)  # one upload, however many tries it takes
    headers = {"Authorization": f"Bearer {token}"}
    with _archive_file(path) as (archive, name), _bar(progress) as bar:
        size = archive.stat().st_size
        for attempt in range(retries + 1):
            try:
                with httpx.Client(base_url=base, headers=headers, timeout=timeout) as http:
                    me = http.get("/api/me")
                    if me.status_code != 200:
                        raise RuleError(
                            f"the server refused the token ({me.status_code}): {_error(me)}"
                        )
                    response = _post(http, archive, name, team, key, bar, size)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as err:
                if attempt == retries:
                    raise PodiumError(
                        f"cannot reach the podium server: {err}",
                        where=base,
                        hint="check --server (e.g. http://host:8000) and that `podium serve` "
                        "runs there",
                    ) from None
            except httpx.TransportError as err:  # dropped mid-way: the same key again
                if attempt == retries:
                    raise PodiumError(
                        f"the upload to the podium server broke off {retries + 1} times: {err}",
                        where=base,
                        hint=f"an archive of {size / 2**20:.1f} MiB may be over the server's "
                        "limit ([sandbox] max_upload_bytes); otherwise retry",
                    ) from None
            time.sleep(backoff * 2**attempt)
    if response.status_code in (200, 201):
        body: dict[str, Any] = response.json()
        return body
    error = SubmissionError if response.status_code in (413, 422) else RuleError
    raise error(f"the server refused the submission ({response.status_code}): {_error(response)}")


def _post(
    http: httpx.Client, archive: Path, name: str, team: str | None, key: str, bar: Any, size: int
) -> httpx.Response:
    with archive.open("rb") as handle:
        task = bar.add_task("upload", total=size) if bar is not None else None
        advance = (lambda n: bar.advance(task, n)) if bar is not None else (lambda _n: None)
        return http.post(
            "/api/submissions",
            data={"team": team} if team else None,
            files={
                "file": (
                    name,
                    cast(IO[bytes], _Counted(handle, advance)),
                    "application/octet-stream",
                )
            },
            headers={KEY_HEADER: key},
        )


@contextlib.contextmanager
def _bar(shown: bool) -> Iterator[Any]:
    if not shown:
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from podium.cli.options import console

    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console(stderr=True), transient=True) as bar:
        yield bar


def _error(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text))
    except (ValueError, AttributeError):
        return response.text[:500]


# -- a participant's other commands: the JSON API read back ---------------------------------


def call(
    server: str,
    token: str,
    method: str,
    path: str,
    *,
    params: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    timeout: float = 60.0,
) -> Any:
    """One request to the API with the token (`body`: sent as JSON); the server's own words
    when it refuses."""
    base = server.rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=timeout,
                          headers={"Authorization": f"Bearer {token}"}) as http:  # fmt: skip
            response = http.request(method, path, params=params, json=body)
    except httpx.HTTPError as err:
        raise PodiumError(
            f"cannot reach the podium server: {err}",
            where=base,
            hint="check --server (e.g. http://host:8000) and that `podium serve` runs there",
        ) from None
    if response.status_code < 300:
        return response.json()
    if response.status_code == 401:
        raise RuleError(
            f"the server refused the token (401): {_error(response)}",
            hint="check --token (or PODIUM_TOKEN); ask your organizer for a new one if it was revoked",
        )
    error = NotFoundError if response.status_code == 404 else RuleError
    raise error(f"the server said: {_error(response)} ({response.status_code})")


def board_from_json(data: dict[str, Any]) -> Leaderboard:
    """A leaderboard's JSON document (`/api/leaderboard`) as the board it was made from, so
    `podium leaderboard --server` prints what the local command prints."""
    from podium.rules.efficiency import Noise
    from podium.rules.leaderboard import Aggregate, Leaderboard, Row
    from podium.rules.ranking import Contest, RerankRule

    aggregate_fields = set(Aggregate.__dataclass_fields__)
    row_fields = set(Row.__dataclass_fields__) - {"aggregate"}

    def row(r: dict[str, Any]) -> Row:
        agg = {k: v for k, v in r.items() if k in aggregate_fields}
        agg["duration_ci95"] = tuple(agg.get("duration_ci95") or (0.0, 0.0))
        fields = {k: v for k, v in r.items() if k in row_fields}
        fields.update(members=tuple(r["members"]), reasons=tuple(r["reasons"]))
        return Row(**fields, aggregate=Aggregate(**agg))

    decisions = tuple(_decision(d) for d in data["decisions"])
    contests = tuple(
        Contest(c["kind"], c["ahead"], c["behind"], c["reason"], tuple(c["remeasures"]))
        for c in data["contests"]
    )
    remeasures = [n for c in contests for n in c.remeasures]
    return Leaderboard(
        competition=data["competition"],
        stage=data["stage"],
        status=data["status"],
        rows=tuple(row(r) for r in data["rows"]),
        unranked=tuple((u["team"], u["why"]) for u in data["unranked"]),
        rule=RerankRule(**{**data["rule"], "bonus_places": tuple(data["rule"]["bonus_places"])}),
        metrics=data["metrics"],
        hardware=data["hardware"],
        notes=tuple(data["notes"]),
        decisions=decisions,
        efficiency_metric=data["efficiency_metric"],
        noise=Noise(**data["noise"]) if data["noise"] else None,
        # provisional as the server said: more re-measurements than any contest has had
        photo_finish_runs=max(remeasures, default=0) + 1 if data["provisional"] else 0,
        warnings=tuple(data["warnings"]),
        references=tuple(row(r) for r in data["references"]),
        aggregate=data["aggregate"],
        contests=contests,
        closing=tuple(data["closing"]),
    )


def _decision(d: dict[str, Any]) -> Decision:
    from podium.rules.ranking import Decision

    gain_ci = tuple(d["gain_ci95"]) if d["gain_ci95"] else None
    return Decision(d["kind"], d["past"], d["reason"], d["team"], d["score_gap"], d["gain"],
                    gain_ci, tuple(d["runs"]), tuple(d["remeasures"]))  # fmt: skip
