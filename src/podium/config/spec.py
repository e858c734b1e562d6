"""competition.toml as validated pydantic models: the only place defaults live."""

from __future__ import annotations

import hashlib
import re
import tomllib
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from podium.config.channels import NotifySpec
from podium.config.fields import table_fields
from podium.config.taskspec import (
    TaskSpec,
    build_tasks,
    check_tasks,
    metric_higher_is_better,
    overall_direction,
)
from podium.core.errors import SpecError
from podium.core.suggest import did_you_mean
from podium.tasks import TaskRegistry, default_registry

SPEC_FILENAME = "competition.toml"


def parse_cpus(text: str) -> set[int]:
    """'2-5,8' -> {2, 3, 4, 5, 8}; ValueError with the bad part otherwise."""
    cpus: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"{part!r} is not a CPU number or range (e.g. '2-7' or '0,2,4')")
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(f"{part!r} runs backwards")
        cpus |= set(range(first, last + 1))
    return cpus


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


ColumnType = Literal["string", "integer", "number", "json"]


class DataSpec(_Strict):
    """Where labelled data comes from and how it is split."""

    source: str = Field(
        default="synthetic",
        description="'synthetic', an XTREME-format folder ({task}/{split}-{lang}.tsv, CoNLL-U "
        "accepted for udpos), a folder of records ({task}/{split}-{lang}.jsonl|csv|tsv|parquet "
        "or {task}.jsonl|csv|tsv|parquet), a parquet copy of google/xtreme, or 'hf:owner/name'",
    )
    seed: int = Field(default=2020, description="split seed: same source + seed = same split")
    public: float = Field(default=0.6, gt=0, lt=1, description="share handed to teams")
    eval: float = Field(default=0.2, gt=0, lt=1, description="sealed share for the eval stage")
    final: float = Field(default=0.2, gt=0, lt=1, description="sealed share for the final")
    dev: float = Field(
        default=0.1, ge=0, lt=1, description="part of the public share written as dev-{lang}.tsv"
    )
    max_examples_per_language: int | None = Field(
        default=None, gt=0, description="cap per task and language before splitting"
    )
    columns: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="per task, the source column of an input field, of the answer ('label', "
        "'tags' or 'value') or of 'language' (records: JSONL, CSV/TSV, parquet, hf:)",
    )
    types: dict[str, dict[str, ColumnType]] = Field(
        default_factory=dict,
        description="per task, how a CSV/TSV cell of an input field is read: 'string' (the "
        "default), 'integer', 'number' or 'json'; other formats are checked against it",
    )
    language_column: str = Field(
        default="language",
        min_length=1,
        description="the column naming a record's language in one-file-per-task data",
    )
    hf_config: str | dict[str, str] | None = Field(
        default=None, description="hf: records: the dataset config, for all tasks or per task"
    )
    hf_splits: list[str] | None = Field(
        default=None, description="hf: records: the splits pooled (default: every split)"
    )

    @model_validator(mode="after")
    def _fractions_sum_to_one(self) -> DataSpec:
        total = self.public + self.eval + self.final
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"public + eval + final must be 1.0, got {total:g}")
        return self


class Visibility(StrEnum):
    PUBLIC = "public"
    HIDDEN = "hidden"


class StageSpec(_Strict):
    """One stage: a sealed split, an attempt budget and what happens when it closes."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    split: Literal["eval", "final"]
    attempts: int = Field(default=3, ge=1)
    leaderboard: Visibility = Field(
        default=Visibility.PUBLIC, description="'hidden' keeps results back until revealed"
    )
    release_code: bool = Field(default=False, description="share all teams' code when closed")
    declare_winner: bool = Field(default=False, description="hall of fame entry when closed")
    max_per_day: int | None = Field(
        default=None, ge=1, description="attempts per team per calendar day (UTC); none: no cap"
    )
    opens: datetime | None = Field(
        default=None, description="opens by itself at this time (ISO 8601 with a UTC offset)"
    )
    closes: datetime | None = Field(
        default=None, description="closes by itself at this time (ISO 8601 with a UTC offset)"
    )

    @field_validator("opens", "closes", mode="before")
    @classmethod
    def _a_time_not_a_number(cls, value: object) -> object:
        """pydantic reads a number as seconds since 1970: surely a mistake in a toml file."""
        if isinstance(value, int | float):
            raise ValueError("a time is needed, e.g. 2026-12-01T09:00:00+01:00, not a number")
        return value

    @model_validator(mode="after")
    def _schedule_makes_sense(self) -> StageSpec:
        """Times without an offset are ambiguous between server and laptops: refused."""
        example = "e.g. opens = 2026-12-01T09:00:00+01:00 (or ...T08:00:00Z for UTC)"
        for key in ("opens", "closes"):
            value: datetime | None = getattr(self, key)
            if value is not None and value.utcoffset() is None:
                raise ValueError(
                    f"stage {self.name!r}: {key} = {value.isoformat()} has no UTC offset; "
                    f"add one, {example.replace('opens', key)}"
                )
        if self.opens and self.closes and self.closes <= self.opens:
            raise ValueError(
                f"stage {self.name!r}: closes ({self.closes.isoformat()}) must come after "
                f"opens ({self.opens.isoformat()}), e.g. opens = 2026-12-01T09:00:00+01:00 "
                "and closes = 2026-12-15T18:00:00+01:00"
            )
        if self.split == "final" and (self.opens or self.closes):
            raise ValueError(
                f"stage {self.name!r}: the final is not scheduled (it opens and closes with "
                "`podium final run`); remove opens/closes from it"
            )
        return self


class EfficiencySpec(_Strict):
    """How the efficiency figure is measured."""

    metric: Literal["wall_time", "cpu_time", "energy"] = Field(
        default="wall_time",
        description="what the rule compares: the test phase's wall time, its CPU time, or its "
        "energy (CPU package and GPU, idle power subtracted; where counters exist)",
    )
    idle_seconds: float = Field(
        default=0.25,
        gt=0,
        le=10,
        description="idle power is measured this long before each timed repeat, where energy "
        "counters exist, and subtracted from its energy",
    )
    repeats: int = Field(default=1, ge=1, description="fresh runs per submission; median counts")
    confidence: float = Field(
        default=0.95, gt=0.5, lt=1, description="a move needs this confidence that it is earned"
    )
    photo_finish_runs: int | Literal["auto"] = Field(
        default="auto",
        description="re-measurements per team of an unsure comparison that matters (0: none); "
        '"auto": as many as decide a 10% gain with 80% power at the stored noise',
    )
    photo_finish_max_runs: int = Field(
        default=400, ge=1, description='the most runs per team an "auto" budget may take'
    )
    photo_finish_minutes: float = Field(
        default=120.0, gt=0, description="the time a close's photo finish may take, at most"
    )

    @field_validator("photo_finish_runs")
    @classmethod
    def _runs_not_negative(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 0:
            raise ValueError(f'photo_finish_runs must be >= 0 or "auto", got {value}')
        return value

    noise_prior: float = Field(
        default=0.2,
        gt=0,
        description="run-to-run noise (sd of log time) assumed until calibration or repeats "
        "measure it",
    )
    reference_every: int = Field(
        default=20, ge=0, description="time the reference workload every N runs (0: never)"
    )


class RerankingSpec(_Strict):
    """The published rule that lifts efficient teams (see DESIGN.md)."""

    bonus_places: list[int] = Field(default_factory=lambda: [2, 1])
    max_score_gap: float = Field(default=10.0, ge=0)
    min_efficiency_gain: float = Field(default=0.05, ge=0, lt=1)
    training_compute: Literal["off", "show", "tiebreak"] = Field(
        default="off",
        description="billed training CPU time: 'show' a column, or also break ties of equal "
        "scores with it ('tiebreak', less first; see docs/ranking.md)",
    )

    @field_validator("bonus_places")
    @classmethod
    def _non_negative(cls, value: list[int]) -> list[int]:
        if any(b < 0 for b in value):
            raise ValueError("bonus places must be >= 0")
        return value


class SandboxSpec(_Strict):
    """Where and within which limits a submission runs."""

    runner: Literal["bwrap", "subprocess"] = Field(
        default="bwrap",
        description="'bwrap' sandboxes untrusted code; 'subprocess' runs it unsandboxed",
    )
    timeout_seconds: float = Field(default=900.0, gt=0)
    setup_timeout_seconds: float = Field(default=900.0, gt=0)
    setup_network: bool = Field(default=False, description="network for the untimed setup only")
    memory_mb: int = Field(
        default=8192,
        gt=0,
        description="memory of the whole run (a cgroup: CUDA can start); address space per "
        "process where the host has no cgroups",
    )
    max_processes: int = Field(default=256, gt=0)
    max_file_mb: int = Field(default=2048, gt=0, description="largest file a run may write")
    max_open_files: int = Field(default=1024, gt=0)
    max_output_mb: int = Field(default=1024, gt=0, description="all predictions together")
    tmp_mb: int = Field(default=4096, gt=0, description="the run's private /tmp (also $HOME)")
    cpus: str | None = Field(
        default=None, description="CPU list every run is pinned to, e.g. '2-7'; default: all"
    )
    gpus: Literal["all"] | list[int] = Field(
        default="all", description="GPU indices a run sees, e.g. [0]; [] for none"
    )
    max_log_bytes: int = Field(
        default=10_000_000, gt=0, description="a run printing more is stopped"
    )
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    environment_mb: int = Field(
        default=8192, gt=0, description="largest Python environment a build may make"
    )
    own_environments: bool = Field(
        default=True,
        description="a submission may bring its own requirements.txt or uv.lock (pinned "
        "wheels from the evaluator's index, built untimed without data); false: only the "
        "[environments] named here",
    )

    @field_validator("cpus")
    @classmethod
    def _cpu_list(cls, value: str | None) -> str | None:
        if value is not None:
            parse_cpus(value)  # a ValueError names the bad part
        return value

    @field_validator("gpus")
    @classmethod
    def _gpu_indices(cls, value: Literal["all"] | list[int]) -> Literal["all"] | list[int]:
        if value != "all" and any(i < 0 for i in value):
            raise ValueError("GPU indices are 0 or more")
        return value


class IntegritySpec(_Strict):
    """[integrity]: canaries (label-preserving perturbed copies of sealed items, never scored)
    and the per-run test that compares a run's answers on them with those on their originals."""

    canary_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="share of each sealed split's items that gets a canary; 0 turns them off",
    )
    contrast_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="share of each sealed split's items that gets a contrast canary (close to "
        "its original in text, with an answer the original's is unlikely to be; catches a "
        "nearest-neighbour lookup); 0 turns them off",
    )
    contrast_lean: float = Field(
        default=0.65,
        ge=0.5,
        lt=1,
        description="the share of a contrast canary's discordant answers an honest model may "
        "give the original's answer (a lookup gives nearly all)",
    )
    honest_lean: float = Field(
        default=0.75,
        ge=0.5,
        lt=1,
        description="the share of discordant pairs (original and canary answered differently "
        "well) an honest model may lose on the canary; unset, the lean the latest `podium "
        "calibrate` set from the baseline holds (0.75 before any); set, it overrides them",
    )
    suspect_p: float = Field(
        default=0.001,
        gt=0,
        lt=0.5,
        description="a run is suspect when its exact tests' p-value (the smaller of the two, "
        "times two: the false-positive rate holds for both together) is below this",
    )


class EnvironmentSpec(_Strict):
    """A Python environment submissions may name (`[submission] environment = "NAME"`)."""

    requirements: str = Field(
        description="a pinned requirements file (uv pip compile's output) or a uv.lock, "
        "relative to the competition folder"
    )
    python: str | None = Field(
        default=None, description="a Python the evaluator has, e.g. '3.12'; default: its own"
    )

    @field_validator("requirements")
    @classmethod
    def _inside(cls, value: str) -> str:
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise ValueError("a path inside the competition folder, e.g. 'envs/fast.txt'")
        return value


ENVIRONMENT_NAME = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class StoreSpec(_Strict):
    """Where the store lives; share one URL between competitions to share a hall of fame."""

    url: str | None = Field(default=None, description="SQLAlchemy URL; default podium.db here")


class LeaderboardSpec(_Strict):
    """How task scores make the overall score, and which teams are references."""

    aggregate: Literal["mean", "weighted", "mean_rank"] = Field(
        default="mean",
        description="mean of task scores; weighted by `weights`; or the mean rank over tasks "
        "(as a 0-100 score: 100 for the best on every task)",
    )
    weights: dict[str, float] = Field(
        default_factory=dict, description="per task, for aggregate = 'weighted' (1 if unnamed)"
    )
    columns: list[str] | None = Field(
        default=None,
        description="the task columns shown on pages, in the CLI and the report, in this "
        "order (default: every task); the JSON always has every task",
    )
    references: list[str] = Field(
        default_factory=list,
        description="teams whose best submission is a reference (a baseline): shown marked, "
        "never ranked, moved or entered in the hall of fame",
    )

    @model_validator(mode="after")
    def _weights(self) -> LeaderboardSpec:
        bad = {t: w for t, w in self.weights.items() if not (w > 0 and w < float("inf"))}
        if bad:
            raise ValueError(f"weights must be positive numbers, got {bad}")
        if self.weights and self.aggregate != "weighted":
            raise ValueError("weights are given but aggregate is not 'weighted'")
        return self


class WorkersSpec(_Strict):
    """Evaluation on other machines: set a broker and the server only queues and scores."""

    broker: str | None = Field(
        default=None,
        description="Celery broker URL (redis://host:6379/0); PODIUM_BROKER overrides; "
        "unset: the server evaluates itself",
    )
    lease_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="a claimed run is lost when not renewed this long"
    )
    heartbeat_seconds: float = Field(
        default=10.0, gt=0, le=600, description="how often a worker renews its lease"
    )
    redispatch_seconds: float = Field(
        default=600.0,
        gt=0,
        description="a queued submission no worker has claimed is sent again after this long "
        "(a broker restarted without persistence loses its messages; duplicates are harmless)",
    )

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> WorkersSpec:
        if self.heartbeat_seconds * 2 > self.lease_seconds:
            raise ValueError(
                f"heartbeat_seconds ({self.heartbeat_seconds}) must be at most half of "
                f"lease_seconds ({self.lease_seconds}), so one late heartbeat loses no run"
            )
        return self


class JobsSpec(_Strict):
    """Training jobs: a team's `[job] command` run in the sandbox on the public data."""

    network: bool = Field(default=False, description="whether a training job may use the network")
    timeout_seconds: float = Field(default=3600.0, gt=0, description="a job's wall-clock limit")
    max_concurrent_jobs: int = Field(
        default=1, ge=1, description="jobs of one team running at once (the others queue)"
    )
    max_artifact_mb: int = Field(
        default=512, gt=0, description="what a job may leave in its output folder"
    )
    memory_mb: int | None = Field(default=None, gt=0, description="a job's memory limit")
    hardware: list[str] = Field(
        default_factory=list,
        description="labels of `podium worker` machines that run training jobs only (never an "
        "evaluation), beside the competition's own `hardware`; they need [workers] broker",
    )


class BudgetSpec(_Strict):
    """What each team may spend on training jobs (None: not limited)."""

    cpu_hours: float | None = Field(default=None, ge=0, description="CPU time (cgroup counters)")
    gpu_hours: float | None = Field(default=None, ge=0, description="GPU busy time (NVML)")
    energy_kwh: float | None = Field(
        default=None, ge=0, description="energy (RAPL and NVML), where the host can measure it"
    )
    teams: dict[str, BudgetSpec] = Field(
        default_factory=dict, description="a team's own budget in place of the competition's"
    )

    @property
    def limited(self) -> bool:
        """Whether any team has a budget (then boards show each team's training compute)."""
        own = (self.cpu_hours, self.gpu_hours, self.energy_kwh)
        return any(v is not None for v in own) or any(t.limited for t in self.teams.values())

    def for_team(self, team: str) -> BudgetSpec:
        """The budget of one team: its own table, else the competition's."""
        own = self.teams.get(team)
        return (
            own
            if own is not None
            else BudgetSpec(
                cpu_hours=self.cpu_hours, gpu_hours=self.gpu_hours, energy_kwh=self.energy_kwh
            )
        )


class CompetitionSpec(_Strict):
    """A whole competition."""

    name: str = Field(min_length=1)
    description: str = ""
    hardware: str = Field(default="local", description="reference hardware label")
    tasks: dict[str, TaskSpec] = Field(
        default_factory=lambda: {t: TaskSpec() for t in ("xnli", "pawsx", "udpos", "panx")}
    )
    data: DataSpec = Field(default_factory=DataSpec)
    stages: list[StageSpec] = Field(
        default_factory=lambda: [
            StageSpec(
                name="evaluation", split="eval", attempts=3, release_code=True, declare_winner=True
            ),
            StageSpec(name="final", split="final", attempts=1, leaderboard=Visibility.HIDDEN),
        ]
    )
    efficiency: EfficiencySpec = Field(default_factory=EfficiencySpec)
    reranking: RerankingSpec = Field(default_factory=RerankingSpec)
    sandbox: SandboxSpec = Field(default_factory=SandboxSpec)
    store: StoreSpec = Field(default_factory=StoreSpec)
    workers: WorkersSpec = Field(default_factory=WorkersSpec)
    leaderboard: LeaderboardSpec = Field(default_factory=LeaderboardSpec)
    notify: NotifySpec = Field(default_factory=NotifySpec)
    integrity: IntegritySpec = Field(default_factory=IntegritySpec)
    environments: dict[str, EnvironmentSpec] = Field(
        default_factory=dict, description="Python environments submissions may name"
    )

    @field_validator("environments")
    @classmethod
    def _environment_names(cls, value: dict[str, EnvironmentSpec]) -> dict[str, EnvironmentSpec]:
        bad = [n for n in value if not re.match(ENVIRONMENT_NAME, n)]
        if bad:
            raise ValueError(f"{bad}: lowercase letters, digits, '-' and '_', at most 40")
        return value

    jobs: JobsSpec = Field(default_factory=JobsSpec)
    budget: BudgetSpec = Field(default_factory=BudgetSpec)

    @model_validator(mode="after")
    def _stages_unique(self) -> CompetitionSpec:
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must be unique, got {names}")
        if not self.stages:
            raise ValueError("a competition needs at least one stage")
        if not self.tasks:
            raise ValueError("a competition needs at least one task")
        unknown_columns = sorted(set(self.leaderboard.columns or ()) - set(self.tasks))
        if unknown_columns:
            raise ValueError(
                f"[leaderboard] columns name unknown task(s) {unknown_columns}; "
                f"tasks: {sorted(self.tasks)}"
            )
        unknown = sorted(set(self.leaderboard.weights) - set(self.tasks))
        if unknown:
            raise ValueError(
                f"[leaderboard] weights name unknown task(s) {unknown}; tasks: {sorted(self.tasks)}"
            )
        return self

    def stage(self, name: str) -> StageSpec:
        for stage in self.stages:
            if stage.name == name:
                return stage
        from podium.core.errors import NotFoundError

        raise NotFoundError(
            f"unknown stage {name!r}", hint=did_you_mean(name, [s.name for s in self.stages])
        )

    def task_languages(self, task_id: str, registry: TaskRegistry) -> list[str]:
        task = registry.get(task_id)
        chosen = self.tasks[task_id].languages
        return list(task.languages) if chosen is None else list(chosen)

    def task_metric(self, task_id: str, registry: TaskRegistry) -> str:
        task = registry.get(task_id)
        return self.tasks[task_id].metric or task.default_metric


def check_against_registry(spec: CompetitionSpec, registry: TaskRegistry, where: str) -> None:
    """Tasks, languages and metrics must exist and fit, and the metrics that count share a
    direction; raise with close matches otherwise."""
    check_tasks(
        spec.tasks, registry, where, ranks_per_task=spec.leaderboard.aggregate == "mean_rank"
    )
    _check_columns(spec, build_tasks(spec.tasks, registry, where), where)


def _check_columns(spec: CompetitionSpec, tasks: TaskRegistry, where: str) -> None:
    """[data.columns.TASK] and [data.types.TASK] name tasks and their fields."""
    d = spec.data
    hf = d.hf_config if isinstance(d.hf_config, dict) else {}
    for table, per_task in (("columns", d.columns), ("types", d.types), ("hf_config", hf)):
        for task_id, mapping in per_task.items():
            if task_id not in spec.tasks:
                raise SpecError(
                    f"data.{table}.{task_id}: no such task",
                    where=where,
                    hint=did_you_mean(task_id, spec.tasks),
                )
            if not isinstance(mapping, dict):
                continue
            task = tasks.get(task_id)
            known = [*task.inputs, task.answer_key] + (["language"] if table == "columns" else [])
            for key in mapping:
                if key not in known:
                    raise SpecError(
                        f"data.{table}.{task_id}.{key}: {task_id} has no field {key!r}",
                        where=where,
                        hint=did_you_mean(key, known)
                        + f" (inputs {list(task.inputs)}, answer {task.answer_key!r}"
                        + (", 'language')" if table == "columns" else ")"),
                    )


def competition_tasks(spec: CompetitionSpec, registry: TaskRegistry | None = None) -> TaskRegistry:
    """The competition's tasks (declared ones built, presets looked up): the registry that is
    passed end to end."""
    return build_tasks(spec.tasks, registry)


def higher_is_better(spec: CompetitionSpec, registry: TaskRegistry) -> bool:
    """Whether a higher overall score is better (the spec was checked: one direction; a mean
    rank is a score, higher is better, whatever its tasks' directions)."""
    if spec.leaderboard.aggregate == "mean_rank":
        return True
    return overall_direction(spec.tasks, registry)


def lower_is_better_tasks(spec: CompetitionSpec, registry: TaskRegistry) -> frozenset[str]:
    """Tasks whose counting metric is an error (rmse, mae): ranked lowest first."""
    return frozenset(
        t for t in spec.tasks
        if not metric_higher_is_better(registry.get(t), spec.task_metric(t, registry))
    )  # fmt: skip


def _format_validation_error(err: ValidationError) -> str:
    lines = []
    for item in err.errors():
        loc = ".".join(str(p) for p in item["loc"]) or "(top level)"
        msg = item["msg"]
        if item["type"] == "extra_forbidden":
            known = table_fields(CompetitionSpec, item["loc"][:-1])
            msg = "unknown field; " + (
                did_you_mean(str(item["loc"][-1]), known)
                if known
                else "see `podium init` for every field"
            )
        msg = msg.removeprefix("Value error, ")  # our own validators' messages say it all
        lines.append(f"{loc}: {msg}")
    return "; ".join(lines)


def parse_spec(
    text: str, where: str = SPEC_FILENAME, registry: TaskRegistry | None = None
) -> CompetitionSpec:
    """Parse and validate TOML text against a task registry (default: the shipped tasks);
    errors name the file and the field."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"not valid TOML: {err}", where=where) from None
    try:
        spec = CompetitionSpec.model_validate(raw)
    except ValidationError as err:
        raise SpecError(
            _format_validation_error(err), where=where, hint="fix the field(s) named above"
        ) from None
    check_against_registry(spec, registry or default_registry(), where)
    return spec


def load_spec(path: Path, registry: TaskRegistry | None = None) -> CompetitionSpec:
    """Load `competition.toml` from a file or a competition folder."""
    file = path / SPEC_FILENAME if path.is_dir() else path
    if not file.is_file():
        raise SpecError(
            "no competition.toml found", where=str(file), hint="create one with `podium init DIR`"
        )
    return parse_spec(file.read_text(encoding="utf-8"), where=str(file), registry=registry)


def spec_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
