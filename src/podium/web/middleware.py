"""What every request passes through: a body limit, a refusal of characters the store cannot
hold, and security headers on every response.

The body limit refuses request bodies over their route's limit before they are parsed: uploads
may be as large as the competition allows, every other body is a small form.

The Content-Security-Policy comes first among the headers. Scripts come only from this
server's own files (plotly.js included): no inline script, no eval; the chart data rides in a
JSON block, which is data and never runs. Styles come from our stylesheet, plus the empty
`<style>` elements a page renders with the response's nonce: plotly.js fills those through the
CSSOM (which CSP allows) instead of writing inline style elements of its own (which it blocks,
and without which the charts lose their layout).
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from podium.report.charts import plotly_js
from podium.web.characters import in_json, in_url_encoded, refusal, unstorable
from podium.web.guard import is_upload
from podium.web.uploads import too_large

NONCE_ATTRIBUTE = "csp_nonce"  # on request.state, for templates
BODY_STATE = "podium.body"  # in the ASGI scope: "unread" until the body's last byte arrives
# the multipart envelope around an upload: boundaries, headers and form fields
UPLOAD_OVERHEAD = 64 * 1024
# every other request body: a sign-in or organizer form at most
SMALL_BODY_BYTES = 64 * 1024


def content_security_policy(nonce: str) -> str:
    return (
        "default-src 'self'; script-src 'self'; "
        f"style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


@lru_cache(maxsize=1)
def plotly_style_ids() -> tuple[str, ...]:
    """Ids of the `<style>` elements plotly.js would create itself: its global rules (it
    looks for `plotly.js-style-global` first) and any it injects only when the id is absent."""
    source = plotly_js().read_bytes()
    injected = re.findall(
        rb'getElementById\("([\w-]+)"\)\)\{var \w+=document\.createElement\("style"\)', source
    )
    return ("plotly.js-style-global", *(i.decode() for i in dict.fromkeys(injected)))


class SecurityHeaders:
    """The security headers on every response, and the CSP nonce its page uses (on
    `request.state`). Plain ASGI: no task and no stream per request, which an `http`
    middleware costs on every page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})[NONCE_ATTRIBUTE] = nonce

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", content_security_policy(nonce))
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Counts each request's body against its route's limit: a declared length over it is
    refused unread (413), a body that grows past it is cut off as it arrives."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app, self.max_upload_bytes = app, max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = is_upload(scope["path"])
        limit = self.max_upload_bytes + UPLOAD_OVERHEAD if upload else SMALL_BODY_BYTES
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await self._too_large(scope, send, upload)
            return
        if (length.isdigit() and int(length) > 0) or b"transfer-encoding" in headers:
            scope[BODY_STATE] = "unread"  # until its last byte arrives (see web/errors.py)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise self._error(upload)
            if message["type"] == "http.request" and not message.get("more_body", False):
                scope[BODY_STATE] = "read"
            return message

        await self.app(scope, counted, send)

    def _error(self, upload: bool) -> HTTPException:
        if upload:
            return too_large(self.max_upload_bytes)
        return HTTPException(413, f"the request body is larger than {SMALL_BODY_BYTES} bytes")

    async def _too_large(self, scope: Scope, send: Send, upload: bool) -> None:
        response = JSONResponse(
            {"error": self._error(upload).detail}, status_code=413, headers={"Connection": "close"}
        )
        await response(scope, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class StoreSafe:
    """Refuses (400) a request with a NUL or an unpaired surrogate in its path, its query, or
    a small JSON or url-encoded body, before any route or the store sees it, on both stores
    alike. Those bodies (64 KiB at most, `BodyLimit` runs first) are read here and handed on;
    multipart uploads stream past, their fields checked as they are read (`uploads`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if unstorable(scope["path"]) or in_url_encoded(scope.get("query_string", b"")):
            where = "path" if unstorable(scope["path"]) else "query"
            await _refuse(scope, send, refusal(f"the request's {where}"))
            return
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"").lower()
        check = None
        # FastAPI reads a body with no Content-Type as JSON too
        if (
            not content_type
            or content_type.startswith(b"application/json")
            or b"+json" in content_type
        ):
            check = in_json
        elif content_type.startswith(b"application/x-www-form-urlencoded"):
            check = in_url_encoded
        if check is None or is_upload(scope["path"]):  # uploads are streamed, never held
            await self.app(scope, receive, send)
            return
        messages, body = await _read_all(receive)
        if check(body):
            await _refuse(scope, send, refusal("the request's body"))
            return
        await self.app(scope, _replay(messages, receive), send)


async def _read_all(receive: Receive) -> tuple[list[Message], bytes]:
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    return messages, b"".join(m.get("body", b"") for m in messages)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    queue = list(messages)

    async def replayed() -> Message:
        return queue.pop(0) if queue else await receive()

    return replayed


async def _refuse(scope: Scope, send: Send, message: str) -> None:
    headers = {"Connection": "close"} if scope.get(BODY_STATE) == "unread" else {}
    response = JSONResponse({"error": message}, status_code=400, headers=headers)
    await response(scope, _empty_receive, send)
