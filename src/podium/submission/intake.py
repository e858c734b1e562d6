"""An archive on its way into the store: a private file, checked before it is kept.

Every submission path (a folder or file at the terminal, an upload over the network, the
final's copies) goes through a uniquely named file in `artifacts/incoming/`: the archive's
listing is checked first, then it is extracted there under the byte and entry budget, then
`podium.toml` is read. Only an archive that passes is renamed into `artifacts/submissions/`,
in the transaction that reserves its attempt; anything refused is removed on the way out.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from podium.submission.archive import extract, list_archive
from podium.submission.listing import Source
from podium.submission.manifest import SubmissionManifest, load_submission_manifest
from podium.submission.requirements import check_requirements


@contextmanager
def incoming_file(folder: Path) -> Iterator[Path]:
    """A new file with a name no other upload shares; removed on exit unless moved away."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=folder)
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def check_archive(
    source: Source,
    *,
    where: str,
    scratch: Path | None = None,
    inspect: Callable[[Path], object] | None = None,
) -> SubmissionManifest:
    """Refuse an archive that could never run: its listing first (nothing written), then a
    budgeted extraction into a temporary folder under `scratch`, then its podium.toml.
    `inspect`: called with the extracted folder of an archive that passed (the scans)."""
    listing = list_archive(source, label=where)
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="check-", dir=scratch) as tmp:
        folder = extract(source, listing, Path(tmp) / "submission", where)
        manifest = load_submission_manifest(folder, where=where)
        _check_own_requirements(folder, manifest, where)
        if inspect is not None:
            inspect(folder)
        return manifest


def _check_own_requirements(folder: Path, manifest: SubmissionManifest, where: str) -> None:
    """A requirements.txt the run would build from must pin packages from the index only:
    refused here, before an attempt is spent (the build checks it again)."""
    file = folder / "requirements.txt"
    if manifest.submission.environment is not None or (folder / "uv.lock").is_file():
        return  # a named environment is used; a uv.lock is read with uv at the build
    if file.is_file() and not file.is_symlink():
        text = file.read_text(encoding="utf-8", errors="replace")
        check_requirements(text, f"{where}/requirements.txt")
