"""A training checkpoint to a ready podium submission folder.

The folder holds the weights, tokenizer.json, the configs, `podium.toml`, `predict.py` and a
copy of the runtime modules (`baseline_runtime/`) that training itself used for its dev
scores. The submission imports nothing from podium: it needs only torch and tokenizers (and
transformers for an encoder other than a plain BERT), which the evaluator's Python
environment provides, or an environment of its own (`environment="own"`: a requirements.txt
pinning exactly the versions training used, torch==2.13.0 among them) or the competition's
(`environment="NAME"`).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from podium.core.errors import PodiumError
from podium.tasks import Task

from .network import CONFIG_FILE, ENCODER_DIR, PAYLOAD, TOKENIZER_FILE, WEIGHTS_FILE, NetConfig

RUNTIME_PACKAGE = "baseline_runtime"
RUNTIME_MODULES = (
    "windows.py",
    "encoding.py",
    "batching.py",
    "bert.py",
    "network.py",
    "inference.py",
)

PODIUM_TOML = """\
# The podium baseline (a multi-task encoder; see baseline_runtime/).
# podium runs `command` here with PODIUM_INPUT_DIR and PODIUM_OUTPUT_DIR set.
[submission]
command = "python predict.py"
"""

PREDICT_PY = '''\
"""Entry point of the packaged podium baseline: load once, predict every input file."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from baseline_runtime.inference import main  # noqa: E402

if __name__ == "__main__":
    main(HERE)
'''


RUNTIME_DISTRIBUTIONS = ("torch", "transformers", "tokenizers")
TORCH_PIN = "2.13.0"  # never an open range: it may pull a multi-GB CUDA build


def environment_requirements(roots: tuple[str, ...] = RUNTIME_DISTRIBUTIONS) -> str:
    """Pinned requirements of the runtime as installed here: the runtime's distributions
    and every dependency they need on this machine, each at its installed version."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins: dict[str, str] = {}
    todo = list(roots)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in pins:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise PodiumError(
                f"{name} is not installed, so its version cannot be pinned",
                hint="pip install 'podium[baseline]'",
            ) from None
        pins[name] = dist.version
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    if not pins["torch"].split("+")[0] == TORCH_PIN:
        raise PodiumError(
            f"torch {pins['torch']} is installed; the kit pins torch=={TORCH_PIN}",
            hint=f"pip install 'torch=={TORCH_PIN}'",
        )
    header = "# the baseline's runtime as trained: exact versions, every dependency\n"
    return header + "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The Lightning checkpoint's state and our payload; clear errors for other files."""
    import torch

    if not path.is_file():
        raise PodiumError("no such checkpoint", where=str(path), hint="see out/checkpoints/")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a file that is not a checkpoint
        raise PodiumError(
            f"not a readable checkpoint ({type(err).__name__})",
            where=str(path),
            hint="give best.ckpt or last.ckpt written by `podium baseline train`",
        ) from None
    if not isinstance(raw, dict) or PAYLOAD not in raw or "state_dict" not in raw:
        raise PodiumError(
            "not a checkpoint of `podium baseline train` (no baseline payload)",
            where=str(path),
            hint="give best.ckpt or last.ckpt from the --out folder of a training run",
        )
    return raw


def check_task_set(config: NetConfig, tasks: list[Task], where: str) -> None:
    """A checkpoint must have a head, with the same labels, for every task it will see."""
    heads = {t.id: t for t in config.tasks}
    for task in tasks:
        head = heads.get(task.id)
        if head is None:
            raise PodiumError(
                f"the checkpoint was trained for {', '.join(heads)}; it has no head for "
                f"task {task.id!r}",
                where=where,
                hint="train on this competition's data: podium baseline train --data DIR",
            )
        if tuple(head.labels) != tuple(task.labels):
            raise PodiumError(
                f"the checkpoint's {task.id} labels differ from the competition's",
                where=where,
                hint="the checkpoint comes from another task set; train a new one",
            )


def package(
    checkpoint: Path,
    out: Path,
    *,
    tasks: list[Task] | None = None,
    bf16: bool = False,
    token_budget: int = 8192,
    environment: str | None = None,
) -> Path:
    """Write a submission folder for `checkpoint`; `tasks` (if given) must all have heads.
    `environment`: None runs on the evaluator's Python, "own" brings requirements.txt, any
    other name is one of the competition's [environments]."""
    import torch

    from podium.config.spec import ENVIRONMENT_NAME

    if environment not in (None, "own") and not re.match(ENVIRONMENT_NAME, environment):
        raise PodiumError(
            f"--environment {environment!r}: 'own', or the name of one of the competition's "
            "[environments] (lowercase letters, digits, '-' and '_')"
        )
    requirements = environment_requirements() if environment == "own" else None
    raw = read_checkpoint(checkpoint)
    payload = raw[PAYLOAD]
    config = NetConfig.from_json(payload["config"])
    if tasks is not None:
        check_task_set(config, tasks, str(checkpoint))
    if out.exists() and any(out.iterdir()):
        raise PodiumError(
            "the output folder is not empty", where=str(out), hint="choose a new folder"
        )
    out.mkdir(parents=True, exist_ok=True)
    state = {
        key.removeprefix("net."): value
        for key, value in raw["state_dict"].items()
        if key.startswith("net.")
    }
    torch.save(state, out / WEIGHTS_FILE)
    (out / CONFIG_FILE).write_text(config.to_json(), encoding="utf-8")
    (out / ENCODER_DIR).mkdir()
    (out / ENCODER_DIR / "config.json").write_text(payload["encoder_config"], encoding="utf-8")
    (out / TOKENIZER_FILE).write_text(payload["tokenizer"], encoding="utf-8")
    options = {"bf16": bf16, "token_budget": token_budget}
    (out / "predict.json").write_text(json.dumps(options, indent=1), encoding="utf-8")
    runtime = out / RUNTIME_PACKAGE
    runtime.mkdir()
    here = Path(__file__).resolve().parent
    for name in RUNTIME_MODULES:
        shutil.copyfile(here / name, runtime / name)
    (runtime / "__init__.py").write_text('"""The podium baseline\'s runtime."""\n')
    (out / "predict.py").write_text(PREDICT_PY, encoding="utf-8")
    manifest = PODIUM_TOML
    if environment not in (None, "own"):
        manifest += f'environment = "{environment}"\n'
    (out / "podium.toml").write_text(manifest, encoding="utf-8")
    if requirements is not None:
        (out / "requirements.txt").write_text(requirements, encoding="utf-8")
    _check_loads(out, checkpoint)
    return out


def _check_loads(out: Path, checkpoint: Path) -> None:
    """Load the written model once, so that a mismatch shows here and not in the sandbox.

    A checkpoint written by another version of the kit (other heads or features) has weights
    that do not fit this version's network; the half-written folder is removed.
    """
    from .network import load_net

    try:
        load_net(out)
    except (RuntimeError, KeyError, TypeError, ValueError) as err:
        shutil.rmtree(out)
        first = " ".join(str(err).split())[:300]
        raise PodiumError(
            f"the checkpoint does not fit this version of the baseline kit ({first})",
            where=str(checkpoint),
            hint="package it with the podium version that trained it, or train again",
        ) from None
