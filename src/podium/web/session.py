"""Session cookies and CSRF tokens.

The cookie holds a random session key and its HMAC, never the token: the store keeps the
key's sha256, its token and when it ends (`Tokens.open_session`), so signing out, revoking the
token or removing its member ends the session at the next request. The HMAC lets the CSRF
guard tell a cookie of ours from garbage without the store. CSRF tokens are an HMAC of the
cookie, so forms need no more server-side state.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

COOKIE_NAME = "podium_session"
SESSION_SECONDS = 12 * 3600
# Before sign-in there is no session to derive a CSRF token from: the sign-in page sets a
# random nonce cookie and its form carries the nonce's HMAC, so another site cannot sign a
# browser in under the attacker's token (login CSRF).
SIGNIN_COOKIE = "podium_signin"
SIGNIN_SECONDS = 3600
_COOKIE = re.compile(r"([A-Za-z0-9_-]{43})\.([0-9a-f]{64})")


def load_secret(path: Path) -> bytes:
    """The server's signing key, made once per competition and readable only by its owner."""
    if path.is_file():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def _sign(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def issue(secret: bytes, key: str) -> str:
    """The cookie for a session key from `Tokens.open_session`."""
    return f"{key}.{_sign(secret, 'session:' + key)}"


def _same(a: str, b: str) -> bool:
    """Constant-time comparison of any two strings (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def read(secret: bytes, cookie: str | None) -> str | None:
    """The session key of a cookie we signed; None for anything forged or garbled (whether
    the session still lives is the store's to say)."""
    match = _COOKIE.fullmatch(cookie or "")
    if match is None:
        return None
    key, signature = match.groups()
    return key if _same(signature, _sign(secret, "session:" + key)) else None


def csrf_token(secret: bytes, cookie: str) -> str:
    return _sign(secret, "csrf:" + cookie)[:40]


def csrf_ok(secret: bytes, cookie: str | None, submitted: str | None) -> bool:
    if not cookie or not submitted:
        return False
    return _same(csrf_token(secret, cookie), submitted)


def signin_nonce() -> str:
    return secrets.token_hex(16)


def signin_token(secret: bytes, nonce: str) -> str:
    return csrf_token(secret, "signin:" + nonce)


def signin_ok(secret: bytes, nonce: str | None, submitted: str | None) -> bool:
    if not nonce or not submitted:
        return False
    return _same(signin_token(secret, nonce), submitted)
