"""Security headers on every response, the Content-Security-Policy first.

Scripts come only from this server's own files (plotly.js included): no inline script, no
eval; the chart data rides in a JSON block, which is data and never runs. Styles come from
our stylesheet, plus the empty `<style>` elements a page renders with the response's nonce:
plotly.js fills those through the CSSOM (which CSP allows) instead of writing inline style
elements of its own (which it blocks, and without which the charts lose their layout).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from functools import lru_cache

from fastapi import Request
from fastapi.responses import Response

from podium.report.charts import plotly_js

NONCE_ATTRIBUTE = "csp_nonce"  # on request.state, for templates


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


async def security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    nonce = secrets.token_urlsafe(16)
    setattr(request.state, NONCE_ATTRIBUTE, nonce)
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", content_security_policy(nonce))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
