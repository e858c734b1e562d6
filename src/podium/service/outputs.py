"""Outputs of read-only commands, computed once per change: the first `podium leaderboard`
after a change reads the store through the full service and keeps what it printed; the next
ones, while nothing they show changed, replay it after one plain read (`store/plain.py`), with
neither SQLAlchemy nor pydantic nor numpy loaded. A kept output names everything it depends
on in its key (the code, the competition and its competition.toml, the command and its
options, the terminal); the store's shown revision (raised by every write to a table a
command shows, `store/revision.py`) says whether it is still true; for a scheduled
competition, it lapses at the next scheduled opening or closing (the full path applies it).
Only SQLite stores are replayed (any other keeps nothing and always takes the full path).

Kept as files in the competition's `artifacts/outputs/REVISION/` (a reader never writes the
store; every other revision's folder goes when one is made; the revision starts at a random
number in each store, migration 0015, so a store made anew in the folder never meets the
outputs of an earlier one); a folder that cannot be written keeps nothing.

Nothing heavy at the top: the replaying half is the standard library."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from podium import __version__
from podium.store.plain import SHOWN_ROW, head_revision, shown_revision, sqlite_path

if TYPE_CHECKING:
    from podium.service.podium import Podium

SPEC_FILE = "competition.toml"  # spec.SPEC_FILENAME (that module loads pydantic)
STORE_FILE = "podium.db"  # layout.CompetitionLayout.store_file
STORE_URL_ENV = "PODIUM_STORE_URL"  # service/context.STORE_URL_ENV
OUTPUTS = Path("artifacts", "outputs")  # under the competition folder (layout.artifacts_dir)
_CODE = ("", "cli", "metrics", "report", "service", "tasks")  # code shaping what a reader prints


@dataclass(frozen=True)
class Mark:
    """What a kept output is true for: read before the command reads anything."""

    revision: int
    valid_until: float | None


def replay(root: Path, parts: Sequence[str]) -> str | None:
    """The output a read-only command printed before with these `parts`, if still true."""
    root = root.resolve()
    try:
        # as `Path.read_text` reads it for the full path: newlines made "\n"
        spec = (root / SPEC_FILE).read_bytes().decode().replace("\r\n", "\n").replace("\r", "\n")
        path = sqlite_path(_store_url(root, spec))
        if path is None:
            return None
        at = shown_revision(path)
        if at is None:
            return None
        kept = (root / OUTPUTS / str(at) / _key(root, spec, parts)).read_bytes()
        until, _, body = kept.partition(b"\n")
        if until != b"-" and float(until) <= time.time():
            return None  # the schedule is due: the full path applies it
        return body.decode("utf-8", "surrogatepass")
    except (OSError, ValueError, AttributeError, TypeError):  # the full path says what is wrong
        return None


def mark(podium: Podium, *, timeless: bool = True) -> Mark | None:
    """The shown revision now, and until when an output made now stays true (None: keep
    nothing; an output whose text moves with the clock, `timeless=False`, is kept only for
    a competition without a schedule)."""
    from podium.store import revision

    c = podium.competition
    if c.engine.dialect.name != "sqlite":
        return None
    moments = [
        moment.timestamp()
        for st in c.spec.stages
        for moment in (st.opens, st.closes)
        if moment is not None
    ]
    if moments and not timeless:
        return None
    now = datetime.now(UTC).timestamp()
    upcoming = [m for m in moments if m > now]
    with c.sessions() as s:
        at = revision.current(s, SHOWN_ROW)
    return Mark(at, min(upcoming) if upcoming else None)  # past ones are applied already


def keep(podium: Podium, parts: Sequence[str], at: Mark, text: str) -> None:
    """Keep what the command printed under its key (written whole or not at all); older
    revisions' outputs go. A folder that cannot be written keeps nothing."""
    c = podium.competition
    folder = c.root / OUTPUTS / str(at.revision)
    until = "-" if at.valid_until is None else repr(at.valid_until)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".part") as part:
            part.write(f"{until}\n".encode() + text.encode("utf-8", "surrogatepass"))
        os.replace(part.name, folder / _key(c.root, c.spec_text, parts))
        for old in folder.parent.iterdir():  # older ones, and newer ones of a store restored
            if old.name.isdigit() and int(old.name) != at.revision:
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass


def _store_url(root: Path, spec: str) -> str:
    """As `service/context.store_url`: the environment, else `[store] url`, else podium.db."""
    url = os.environ.get(STORE_URL_ENV)
    if not url and "store" in spec:  # else no [store] table: no need to parse the rest
        url = tomllib.loads(spec).get("store", {}).get("url")
    return str(url) if url else f"sqlite:///{(root / STORE_FILE).resolve()}"


def _key(root: Path, spec: str, parts: Sequence[str]) -> str:
    """Everything an output depends on besides the store's contents, hashed."""
    code = Path(__file__).resolve().parents[1]
    stamps = sorted(
        (str(p.relative_to(code)), stat.st_mtime_ns, stat.st_size)
        for package in _CODE
        for p in (code / package).glob("*.py")
        for stat in [p.stat()]
    )
    podium_env = sorted((k, v) for k, v in os.environ.items() if k.startswith("PODIUM_"))
    facts = [__version__, head_revision(), stamps, str(root), hashlib.sha256(spec.encode()).hexdigest(),
             podium_env, list(parts)]  # fmt: skip
    return hashlib.sha256(json.dumps(facts).encode("utf-8", "surrogatepass")).hexdigest()
