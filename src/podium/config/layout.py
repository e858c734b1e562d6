"""Where things live inside a competition folder (one place, so nothing guesses paths)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from podium.config.spec import SPEC_FILENAME

SPLITS_SEALED = ("eval", "final")


@dataclass(frozen=True)
class CompetitionLayout:
    """Paths of one competition folder.

    ```
    competition.toml
    podium.db                               the store (SQLite, WAL) unless [store].url says otherwise
    public/{task}/train-{lang}.tsv          handed to teams (XTREME format), also dev-{lang}.tsv
    sealed/inputs/{split}/{task}/{lang}.jsonl   inputs without labels (mounted for runs)
    sealed/labels/{split}/{task}/{lang}.jsonl   labels, never mounted, read only by scoring
    sealed/labels/{split}/{task}/{lang}.canaries.jsonl   canary id -> original (never scored)
    sealed/manifest.json                    sha256 and counts of every public and sealed file
    sealed/index/{manifest16}.npz           the sealed texts' sketches intake scans archives for
    artifacts/submissions/{id}-{sha16}.archive  each submission's archive (zip or tar.gz)
    artifacts/incoming/                     uploads being received and checked
    artifacts/runs/{run_id}/                log of each run, and predictions of a scored one
    artifacts/work/{name}/                  a running evaluation's temporary folders (tmpfs)
    artifacts/environments/{sha256}/        Python environments built by uv, read-only
    artifacts/jobs/{id}/                    a training job: job.archive, log.txt, output.tar.gz
    artifacts/jobwork/{id}/                 a running training job's temporary folders
    ```
    """

    root: Path

    @property
    def spec_file(self) -> Path:
        return self.root / SPEC_FILENAME

    @property
    def store_file(self) -> Path:
        return self.root / "podium.db"

    @property
    def public_dir(self) -> Path:
        return self.root / "public"

    @property
    def sealed_dir(self) -> Path:
        return self.root / "sealed"

    @property
    def manifest_file(self) -> Path:
        return self.sealed_dir / "manifest.json"

    @property
    def sealed_index_dir(self) -> Path:
        """Derived from the sealed inputs, never mounted: kept per manifest."""
        return self.sealed_dir / "index"

    def inputs_dir(self, split: str) -> Path:
        return self.sealed_dir / "inputs" / split

    def labels_dir(self, split: str) -> Path:
        return self.sealed_dir / "labels" / split

    @property
    def artifacts_dir(self) -> Path:
        return self.root / "artifacts"

    @property
    def submissions_dir(self) -> Path:
        return self.artifacts_dir / "submissions"

    @property
    def incoming_dir(self) -> Path:
        """Uploads being received and archives being checked: empty between submissions."""
        return self.artifacts_dir / "incoming"

    def run_dir(self, run_id: int) -> Path:
        return self.artifacts_dir / "runs" / str(run_id)

    @property
    def work_dir(self) -> Path:
        return self.artifacts_dir / "work"

    @property
    def environments_dir(self) -> Path:
        """Python environments by hash (read-only folders; `podium env prune` removes them)."""
        return self.artifacts_dir / "environments"

    @property
    def report_file(self) -> Path:
        return self.root / "report.html"
