"""`podium check`: a team runs its submission through exactly the evaluator's harness on
local labelled data (e.g. the public dev split) before spending an attempt."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from podium.data.jsonl import write_jsonl
from podium.data.xtreme import FILE_PATTERN, labelled_problem, read_xtreme_file
from podium.errors import DataError
from podium.harness.evaluate import EvaluationResult, evaluate, job_for
from podium.harness.runners import create_runner
from podium.metrics import mean, task_means
from podium.spec import SandboxSpec
from podium.submission.archive import read_submission
from podium.submission.predictions import expected_files
from podium.tasks import Task, TaskRegistry, default_registry


@dataclass(frozen=True)
class CheckReport:
    result: EvaluationResult
    languages: dict[str, list[str]]
    metrics: dict[str, str]

    @property
    def task_scores(self) -> dict[str, float]:
        return task_means(
            {
                (r.task, r.language): r.value
                for r in self.result.scores
                if r.metric == self.metrics[r.task]
            }
        )

    @property
    def overall(self) -> float | None:
        scores = self.task_scores
        return mean(scores.values()) if scores else None


def stage_local_data(
    data_dir: Path, split: str, out: Path, registry: TaskRegistry
) -> tuple[dict[str, Task], dict[str, list[str]]]:
    """Write `{split}-{lang}.tsv` files of an XTREME folder as sealed-style inputs and labels."""
    tasks: dict[str, Task] = {}
    languages: dict[str, list[str]] = {}
    for task in registry:
        folder = data_dir / task.id
        for path in sorted(folder.glob(f"{split}-*.tsv")) if folder.is_dir() else []:
            match = FILE_PATTERN.match(path.name)
            if not match or match["lang"] not in task.languages:
                continue
            lang = match["lang"]
            examples = read_xtreme_file(path, task)
            records = [ex for ex in examples if labelled_problem(task, ex) is None]
            ids = [f"{task.id}-{lang}-{i:06d}" for i in range(len(records))]
            write_jsonl(
                out / "inputs" / task.id / f"{lang}.jsonl",
                ({**ex.input_record(), "id": i} for ex, i in zip(records, ids, strict=True)),
            )
            write_jsonl(
                out / "labels" / task.id / f"{lang}.jsonl",
                ({**ex.label_record(), "id": i} for ex, i in zip(records, ids, strict=True)),
            )
            tasks[task.id] = task
            languages.setdefault(task.id, []).append(lang)
    if not tasks:
        raise DataError(
            f"no {split}-{{lang}}.tsv files found",
            where=str(data_dir),
            hint="point --data at the public data (podium data export) or choose --split",
        )
    return tasks, languages


def check_submission(
    path: Path,
    data_dir: Path,
    *,
    split: str = "dev",
    sandbox: SandboxSpec | None = None,
    registry: TaskRegistry | None = None,
) -> CheckReport:
    """Evaluate a submission on local labelled data with the evaluator's own harness."""
    sandbox = sandbox or SandboxSpec()
    registry = registry or default_registry()
    data = read_submission(path)
    runner = create_runner(sandbox.runner)
    with tempfile.TemporaryDirectory(prefix="podium-check-") as tmp:
        root = Path(tmp)
        tasks, languages = stage_local_data(data_dir, split, root, registry)
        job = job_for(
            sandbox,
            repeats=1,
            archive=data,
            inputs_dir=root / "inputs",
            labels_dir=root / "labels",
            expected=expected_files(root / "inputs", tasks, languages),
            tasks=tasks,
            run_dir=root / "run",
            runner=runner,
        )
        result = evaluate(job)
    metrics = {t: task.default_metric for t, task in tasks.items()}
    return CheckReport(result=result, languages=languages, metrics=metrics)
