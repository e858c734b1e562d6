"""Pages kept whole per board revision: the leaderboard an anonymous visitor sees is the same
for everyone until the store's board revision moves, so the first request after a change
renders it (the route says it may be kept, `keep_page`) and the next ones get its bytes after
one read of the revision, with no route, no session, no thread and no template. A scored run,
a closed stage or a reveal moves the revision: the very next request renders again.

What differs per response stays per response: the CSP nonce is spliced into the kept bytes
(`SecurityHeaders` adds the headers outside). Only GET, without a session cookie or a bearer
token, with the page's own query parameters (at most one value each), is answered from here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from podium.web import session
from podium.web.middleware import NONCE_ATTRIBUTE

KEPT = "kept_at"  # on request.state: the board revision a page may be kept for
_PAGES = {"/leaderboard": frozenset({"stage", "languages", "screen"})}
_MAX_KEPT = 64  # pages kept (stages x languages x screens); past it the cache starts over


def keep_page(request: Request, revision: int) -> None:
    """The route's word that this response is everyone's at `revision`."""
    setattr(request.state, KEPT, revision)


@dataclass(frozen=True)
class _Page:
    revision: int
    status: int
    headers: list[tuple[bytes, bytes]]
    parts: tuple[bytes, ...]  # the body split where this response's nonce goes


class PageCache:
    """Plain ASGI, just inside `SecurityHeaders`: a page is kept only after passing every
    layer below it (`StoreSafe` refuses hostile paths and queries), for its exact path and
    query, so a hit needs none of them."""

    def __init__(self, app: ASGIApp, revision: Callable[[], int], *, blocking: bool) -> None:
        self.app, self.revision, self.blocking = app, revision, blocking
        self.kept: dict[tuple[str, bytes], _Page] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        # SQLite answers from a file at once; a server store is asked from a thread
        now = await anyio.to_thread.run_sync(self.revision) if self.blocking else self.revision()
        nonce = scope.get("state", {}).get(NONCE_ATTRIBUTE, "").encode()
        page = self.kept.get(key)
        if page is not None and page.revision == now:
            await _send(send, page, nonce)
            return
        await self.app(scope, receive, self._recording(scope, key, nonce, send))

    def _recording(self, scope: Scope, key: tuple[str, bytes], nonce: bytes, send: Send) -> Send:
        start: Message = {}
        parts: list[bytes] = []

        async def recorded(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":  # copied: outer layers add to it
                start = {**message, "headers": list(message.get("headers", []))}
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._keep(scope, key, nonce, start, b"".join(parts))
            await send(message)

        return recorded

    def _keep(
        self, scope: Scope, key: tuple[str, bytes], nonce: bytes, start: Message, body: bytes
    ) -> None:
        revision = scope.get("state", {}).get(KEPT)
        headers = [(k.lower(), v) for k, v in start.get("headers", [])]
        if revision is None or start.get("status") != 200 or not nonce:
            return
        if any(k == b"set-cookie" for k, _ in headers):
            return  # someone's own response
        headers = [(k, v) for k, v in headers if k != b"content-length"]
        if len(self.kept) >= _MAX_KEPT:
            self.kept.clear()
        self.kept[key] = _Page(int(revision), 200, headers, tuple(body.split(nonce)))


def _key(scope: Scope) -> tuple[str, bytes] | None:
    """The page and its query, if this request may be answered from kept pages."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    allowed = _PAGES.get(scope["path"])
    if allowed is None:
        return None
    for name, value in scope["headers"]:
        if name == b"authorization" or (
            name == b"cookie" and session.COOKIE_NAME.encode() in value
        ):
            return None
    query: bytes = scope.get("query_string", b"")
    names = [name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)]
    if len(names) != len(set(names)) or not set(names) <= allowed:
        return None
    return scope["path"], query


async def _send(send: Send, page: _Page, nonce: bytes) -> None:
    body = nonce.join(page.parts)  # one copy, no search
    headers = [*page.headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": page.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
