"""Uploads, for the API and the team page's form, each step before the next can cost anything:

1. who: the token or session, from the headers (the route's dependencies), body unread;
2. may they: the stage is open and the team has an attempt left, body still unread;
3. the body, parsed as it arrives: small form fields kept, the file streamed to a private file
   in `artifacts/incoming/` and refused (413) the moment it passes the size limit;
4. the archive: its listing, then a budgeted extraction, then podium.toml (`podium.submission.intake`);
5. the attempt reserved and the archive renamed into the store, in one transaction.

A refusal at any step leaves nothing on disk and nothing in the store. The app never reads
the body of a request it refuses at step 1 or 2 (see `CLOSE_UNREAD` in web/errors.py for
what happens to the connection).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from fastapi import HTTPException, Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from podium.core.errors import ForbiddenError, PodiumError
from podium.rules.access import Principal, Team, ensure
from podium.service import Podium, SubmitReceipt
from podium.submission.intake import incoming_file
from podium.web.characters import refusal, unstorable
from podium.web.guard import check_form_token

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

MAX_FIELDS = 16
MAX_FIELD_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024
MAX_PART_HEADERS = 16

OPENAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "team": {"type": "string", "description": "organizers only: the team"},
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "a .zip or .tar.gz of the submission folder",
                        },
                    },
                }
            }
        },
    }
}


def too_large(max_bytes: int) -> HTTPException:
    return HTTPException(
        413,
        f"the upload is larger than this competition's limit of {max_bytes / 2**20:.1f} MiB "
        "([sandbox].max_upload_bytes); leave data and checkpoints you do not need out",
    )


def _bad_form(what: str) -> PodiumError:
    return PodiumError(
        what, hint="send multipart/form-data with the archive in a `file` field (after `team`)"
    )


@dataclass
class Received:
    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    size: int = 0


class FormReader:
    """python-multipart's callbacks, queued as events and handled between chunks (the file's
    start may need the store, which is async here)."""

    def __init__(
        self,
        target: Path,
        max_bytes: int,
        before_file: Callable[[dict[str, str]], Awaitable[None]],
    ) -> None:
        self.target, self.max_bytes, self.before_file = target, max_bytes, before_file
        self.received = Received()
        self.events: list[tuple[str, bytes]] = []
        self.headers: dict[bytes, bytes] = {}
        self.header = [b"", b""]
        self.name: str | None = None
        self.value = bytearray()
        self.out: IO[bytes] | None = None
        self.in_file = self.ended = False

    def callbacks(self) -> MultipartCallbacks:
        def data(kind: str) -> Callable[[bytes, int, int], None]:
            return lambda buf, start, end: self.events.append((kind, buf[start:end]))

        def mark(kind: str) -> Callable[[], None]:
            return lambda: self.events.append((kind, b""))

        return {
            "on_part_begin": mark("begin"),
            "on_part_data": data("data"),
            "on_part_end": mark("part_end"),
            "on_header_field": data("field"),
            "on_header_value": data("value"),
            "on_header_end": mark("header_end"),
            "on_headers_finished": mark("headers"),
            "on_end": mark("end"),
        }

    async def handle(self) -> None:
        events, self.events = self.events, []
        for kind, chunk in events:
            if kind == "begin":
                self.headers, self.header, self.value = {}, [b"", b""], bytearray()
            elif kind in ("field", "value"):
                self.header[kind == "value"] += chunk
                if sum(map(len, self.header)) > MAX_HEADER_BYTES:
                    raise _bad_form("a part's headers are too long")
            elif kind == "header_end":
                self.headers[self.header[0].strip().lower()] = self.header[1]
                self.header = [b"", b""]
                if len(self.headers) > MAX_PART_HEADERS:
                    raise _bad_form(f"a form part has more than {MAX_PART_HEADERS} headers")
            elif kind == "headers":
                await self._part_starts()
            elif kind == "data":
                self._data(chunk)
            elif kind == "part_end":
                self._part_ends()
            else:
                self.ended = True

    async def _part_starts(self) -> None:
        try:
            _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        except ValueError:
            raise _bad_form("a form part's Content-Disposition cannot be read") from None
        name = options.get(b"name")
        if name is None:
            raise _bad_form("a form part has no name (Content-Disposition: form-data; name=...)")
        self.name = name.decode("utf-8", "replace")
        if b"filename" not in options:
            if len(self.received.fields) >= MAX_FIELDS:
                raise _bad_form(f"the form has more than {MAX_FIELDS} fields")
            return
        if self.name != "file" or self.received.filename is not None:
            raise _bad_form("send exactly one file, in the field named `file`")
        self.received.filename = clean_filename(options[b"filename"])
        await self.before_file(dict(self.received.fields))
        self.out = self.target.open("wb")
        self.in_file = True

    def _data(self, chunk: bytes) -> None:
        if self.in_file and self.out is not None:
            self.received.size += len(chunk)
            if self.received.size > self.max_bytes:
                raise too_large(self.max_bytes)
            self.out.write(chunk)
            return
        self.value += chunk
        if len(self.value) > MAX_FIELD_BYTES:
            raise _bad_form(f"the form field {self.name!r} is longer than {MAX_FIELD_BYTES} bytes")

    def _part_ends(self) -> None:
        if self.in_file and self.out is not None:
            self.out.close()
            self.in_file = False
            return
        try:
            value = self.value.decode("utf-8")
        except UnicodeDecodeError:
            raise _bad_form(f"the form field {self.name!r} is not UTF-8 text") from None
        if unstorable(value) or unstorable(self.name or ""):
            raise _bad_form(refusal(f"the form field {self.name!r}"))
        self.received.fields[self.name or ""] = value

    def close(self) -> None:
        if self.out is not None:
            self.out.close()


def clean_filename(raw: bytes) -> str:
    """The base name a browser or tool sent, printable, for labels and messages."""
    name = raw.decode("utf-8", "replace").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isprintable()).strip()[:200] or "upload"


def _boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise _bad_form("the upload is not multipart/form-data")
    return boundary


async def receive_upload(
    request: Request,
    target: Path,
    *,
    max_bytes: int,
    before_file: Callable[[dict[str, str]], Awaitable[None]],
) -> Received:
    """Stream a multipart body: fields into memory, the one file into `target`."""
    reader = FormReader(target, max_bytes, before_file)
    try:
        parser = MultipartParser(_boundary(request), reader.callbacks())
    except (FormParserError, ValueError) as err:
        raise _bad_form(f"the multipart body is malformed ({err})") from None
    try:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except FormParserError as err:
                raise _bad_form(f"the multipart body is malformed ({err})") from None
            await reader.handle()
        parser.finalize()
        await reader.handle()
    finally:
        reader.close()
    if reader.received.filename is None:
        raise _bad_form("the form has no file: send the archive in the field named `file`")
    if reader.in_file or not reader.ended:
        raise _bad_form("the upload ended before its last part did")
    return reader.received


async def accept_upload(
    request: Request, who: Principal, team: str | None, *, notify: Callable[[], None]
) -> SubmitReceipt:
    """Steps 2 to 5 above; `team` is the team named in the URL, if any (step 1 is done)."""
    podium: Podium = request.app.state.podium
    if team is not None:
        ensure(who, "submit", Team(team))
    chosen = team or who.team  # a team's token enters for its own team; organizers name one
    key = idempotency_key(request)
    if key is not None and chosen is not None:  # sent again after a dropped connection
        replay = await run_in_threadpool(podium.submissions.replayed, chosen, key)
        if replay is not None:
            return replay  # its body unread: no second attempt, nothing stored
    ticker = request.app.state.ticker
    if ticker is not None:  # a stage due to close closes first (published as the ticker does)
        await run_in_threadpool(ticker.tick, podium)
    stage = await run_in_threadpool(podium.submissions.check_can_submit, chosen)

    async def before_file(fields: dict[str, str]) -> None:
        nonlocal chosen
        check_form_token(request, fields)
        named = _named(who, fields)
        if chosen is None and named is not None:
            chosen = named
            await run_in_threadpool(podium.submissions.check_can_submit, chosen, stage)

    with incoming_file(podium.competition.layout.incoming_dir) as archive:
        got = await receive_upload(
            request,
            archive,
            max_bytes=podium.competition.spec.sandbox.max_upload_bytes,
            before_file=before_file,
        )
        named = _named(who, got.fields)  # a `team` field may also follow the file
        team_name = chosen or named
        if team_name is None:
            raise ForbiddenError("an organizer uploading must name the team (form field `team`)")
        filename = got.filename or "upload"
        receipt = await run_in_threadpool(
            lambda: podium.submissions.submit_file(
                archive,
                team=team_name,
                stage=stage,
                label=filename,
                where=filename,
                member=_sender(who, team_name),
                idempotency_key=key,
            )
        )
    notify()
    return receipt


def _sender(who: Principal, team: str) -> str | None:
    """Who sent it, as the team page and `podium submissions` show: a member (personal
    token), a team-wide token by its name, or the organizer on the team's behalf."""
    if who.team != team:
        return "organizer" if who.is_organizer else None
    if who.member:
        return who.member
    return f"token {who.label}" if who.label else None


KEY_HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def idempotency_key(request: Request) -> str | None:
    """The client's name for this upload (16 to 64 letters, digits, '-' or '_'), or None."""
    key = request.headers.get(KEY_HEADER)
    if key is None:
        return None
    if not _KEY.match(key):
        raise PodiumError(
            f"the {KEY_HEADER} header must be 16 to 64 letters, digits, '-' or '_'",
            hint="send a fresh random key per upload, and the same one when retrying it",
        )
    return key


def _named(who: Principal, fields: dict[str, str]) -> str | None:
    """The form's `team` field: organizers choose with it, teams may only name themselves."""
    named = fields.get("team") or None
    if named is not None:
        ensure(who, "submit", Team(named))
    return named
