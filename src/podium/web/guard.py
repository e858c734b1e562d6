"""The one dependency every route runs first: may this request change anything, from here?

A state-changing request (POST, PUT, PATCH, DELETE) that a browser's session cookie would
authenticate must come from this site's own pages: a same-origin `Origin` (or, without one,
`Referer`) header, and the CSRF token derived from the session, in the `X-CSRF-Token` header
(page scripts read it from `<meta name="csrf-token">`) or the form's `csrf` field. SameSite
cookies alone do not suffice: another port of the host or a sibling subdomain is the same
site. Bearer-token clients carry no cookie and need neither. Only headers are read, except
the small url-encoded forms of the pages; an upload form's token must come before its file,
and the upload reader checks it there (`csrf_in_form`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from podium.core.errors import ForbiddenError
from podium.web import session

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"
UPLOAD_PATHS = ("/api/submissions", "/api/jobs")
WORKER_PREFIX = "/api/worker/"  # the only routes a worker token reaches
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_upload(path: str) -> bool:
    """Routes whose body is an archive: streamed to disk, and allowed the upload size."""
    return (
        path in UPLOAD_PATHS
        or (path.startswith("/teams/") and path.endswith("/submit"))
        or (path.startswith(WORKER_PREFIX + "runs/") and path.endswith("/result"))
        or (path.startswith(WORKER_PREFIX + "jobs/") and path.endswith("/result"))
    )


def has_bearer(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def check_same_origin(request: Request) -> None:
    """ForbiddenError unless Origin (or Referer) names this server: scheme, host and port."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    here = str(request.base_url)
    if claimed is None:
        raise ForbiddenError(
            "a signed-in browser request that changes something must say where it comes "
            "from (an Origin or Referer header), and this one says nothing",
            hint="use the site's own pages; scripts and tools send a bearer token instead",
        )
    if _origin(claimed) is None or _origin(claimed) != _origin(here):
        raise ForbiddenError(
            f"this request comes from {claimed[:100]!r}, not from this site ({here.rstrip('/')})",
            hint="use the site's own pages; behind a proxy, have it pass X-Forwarded-Proto",
        )


async def guard(request: Request) -> None:
    """Decide CSRF for every route (added to the app, so no route can forget it)."""
    if request.method not in UNSAFE or has_bearer(request):
        return
    secret: bytes = request.app.state.secret
    cookie = request.cookies.get(session.COOKIE_NAME)
    signed_in = session.read(secret, cookie) is not None
    if not signed_in and session.SIGNIN_COOKIE not in request.cookies:
        return  # no session: nothing a forged request could ride on (routes answer 401)
    check_same_origin(request)
    if not signed_in or request.url.path == "/signin":
        return  # the sign-in form carries its own token, derived from a nonce cookie
    token = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if token is None and is_upload(request.url.path):
        if content_type.startswith("multipart/"):
            request.state.csrf_in_form = True  # checked when the form's file begins
            return
    elif token is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf")  # a small form: bodies are capped at 64 KiB
        token = value if isinstance(value, str) else None
    if not session.csrf_ok(secret, cookie, token):
        raise csrf_refused()


def csrf_refused() -> ForbiddenError:
    return ForbiddenError(
        "the CSRF token is missing or wrong; reload the page and retry",
        hint=f"scripts send the page's csrf-token in an {CSRF_HEADER} header",
    )


def check_form_token(request: Request, fields: dict[str, str]) -> None:
    """For upload forms: the `csrf` field, which must arrive before the file."""
    if getattr(request.state, "csrf_in_form", False):
        cookie = request.cookies.get(session.COOKIE_NAME)
        if not session.csrf_ok(request.app.state.secret, cookie, fields.get("csrf")):
            raise csrf_refused()
