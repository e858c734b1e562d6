"""`podium check`: a team runs its submission through exactly the evaluator's harness on
local labelled data (e.g. the public dev split) before spending an attempt."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from podium.config.spec import SandboxSpec
from podium.core.errors import DataError
from podium.data.examples import Example, GenericExample
from podium.data.jsonl import iter_jsonl, write_jsonl
from podium.data.xtreme import labelled_problem, read_xtreme_file
from podium.harness.evaluate import EvaluationResult, evaluate, job_for
from podium.harness.runners import create_runner
from podium.metrics import mean, task_means
from podium.submission.archive import read_submission
from podium.submission.predictions import CHECK_LOCALLY, expected_files
from podium.tasks import Task, TaskRegistry, default_registry

TASKS_FILE = "tasks.json"  # written by `podium data export`: the tasks teams check against


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
        for path in _split_files(folder, split):
            lang = path.name.split(".")[0].split("-", 1)[1]
            if lang not in task.languages:
                continue
            examples = (
                _read_records(path, task)
                if path.suffix == ".jsonl"
                else read_xtreme_file(path, task)
            )
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
            f"no {split}-{{lang}}.tsv or .jsonl files found",
            where=str(data_dir),
            hint="point --data at the public data (podium data export) or choose --split",
        )
    return tasks, languages


def _split_files(folder: Path, split: str) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted([*folder.glob(f"{split}-*.tsv"), *folder.glob(f"{split}-*.jsonl")])


def _read_records(path: Path, task: Task) -> list[Example]:
    """Public records of a declared task: its input fields and its answer."""
    key = task.answer_key
    return [
        GenericExample({f: row[f] for f in task.inputs if f in row}, row.get(key))
        for _, row in iter_jsonl(path)
    ]


def load_tasks(data_dir: Path) -> TaskRegistry:
    """The tasks the exported public data declares (`tasks.json`), else XTREME's."""
    declared = data_dir / TASKS_FILE
    if not declared.is_file():
        return default_registry()
    try:
        return TaskRegistry(Task.model_validate(t) for t in json.loads(declared.read_text()))
    except (ValueError, TypeError) as err:
        raise DataError(f"cannot read the task definitions: {err}", where=str(declared)) from None


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
    registry = registry or load_tasks(data_dir)
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
    if result.error:  # a hint to run what is running now helps nobody
        result.error = result.error.replace(CHECK_LOCALLY, "")
    metrics = {t: task.default_metric for t, task in tasks.items()}
    return CheckReport(result=result, languages=languages, metrics=metrics)
