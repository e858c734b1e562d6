"""`podium baseline train` and `podium baseline package`.

Thin commands over the library; heavy imports (torch, lightning) happen inside them, so that
`podium --help` stays fast and works without the extra installed.
"""

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from podium.core.errors import MissingExtraError, PodiumError

if TYPE_CHECKING:  # torch (and Rich's tables) are imported only when a command runs
    from rich.table import Table

    from podium.baseline.training import TrainResult

EXTRA_MODULES = ("torch", "lightning", "transformers", "tokenizers")  # podium[baseline]
# network.PAIR_PARTS and DEFAULT_PAIR_INPUTS (repeated: network imports torch)
PAIR_PARTS = ("cls", "a", "b", "diff", "prod", "overlap")
DEFAULT_PAIR_INPUTS = ("b", "diff", "prod", "overlap")

baseline_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help, as every podium command (cli/main.py)
    help="Train and package the baseline model (needs the extra podium[baseline]).",
)


def _missing(err: ModuleNotFoundError) -> PodiumError:
    """A missing module of the extra as a clear error; any other missing module is a bug."""
    if (err.name or "").split(".")[0] not in EXTRA_MODULES:
        raise err
    return MissingExtraError("baseline", "the baseline kit", err.name)


def _fail(err: PodiumError) -> None:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, highlight=False).print(f"[bold red]error:[/] {escape(err.message)}")
    raise typer.Exit(2)


def _scores_table(scores: dict[tuple[str, str], float]) -> "Table":
    from rich.table import Table

    table = Table(title="Dev scores (best checkpoint)", title_justify="left")
    for col in ("task", "language", "score"):
        table.add_column(col, justify="right" if col == "score" else "left")
    for (task, lang), value in sorted(scores.items()):
        table.add_row(task, lang, f"{value:.2f}")
    return table


def _data_folder(data: Path | None, old: Path | None, *, needed: bool) -> Path | None:
    """`--data`, or the old `--competition` of these commands (one release, with a note):
    everywhere else `--competition` is the competition folder, here it was a data folder."""
    if old is not None:
        from rich.console import Console

        Console(stderr=True, highlight=False).print(
            "note: --competition is now --data here (the folder of the public data, or a "
            "competition folder); --competition goes away in the next release"
        )
        if data is None:
            data = old
    if data is None and needed:
        raise typer.BadParameter("give --data: a competition folder or the public data",
                                 param_hint="--data")  # fmt: skip
    return data


def _old_data() -> Any:
    return typer.Option("--competition", hidden=True, help="old name of --data")


@baseline_app.command()
def train(
    data: Annotated[
        Path | None,
        typer.Option(help="the public data ({task}/train-{lang}.tsv), or a competition folder"),
    ] = None,
    encoder: Annotated[
        str, typer.Option(help="'tiny' (from scratch, offline) or a hub name / local folder")
    ] = "tiny",
    max_minutes: Annotated[
        float, typer.Option(help="wall-clock budget, data prep included")
    ] = 10.0,
    out: Annotated[Path, typer.Option(help="where checkpoints go")] = Path("baseline-run"),
    tasks: Annotated[str | None, typer.Option(help="comma-separated task ids")] = None,
    max_steps: Annotated[int | None, typer.Option(help="stop after this many steps")] = None,
    layers: Annotated[int, typer.Option(help="tiny: encoder layers")] = 4,
    hidden: Annotated[int, typer.Option(help="tiny: hidden size")] = 128,
    vocab: Annotated[int, typer.Option(help="tiny: WordPiece vocabulary size")] = 8000,
    max_len: Annotated[int, typer.Option(help="subwords per sample (windows beyond)")] = 128,
    lr: Annotated[float, typer.Option(help="peak learning rate of the top layer")] = 2e-3,
    layer_decay: Annotated[float, typer.Option(help="lr factor per layer downwards")] = 0.9,
    precision: Annotated[str, typer.Option(help="'auto', '32' or 'bf16'")] = "auto",
    accumulate: Annotated[int, typer.Option(help="gradient accumulation steps")] = 1,
    token_budget: Annotated[int, typer.Option(help="tokens per batch")] = 4096,
    layout: Annotated[str, typer.Option(help="'pack', 'buckets' or 'plain'")] = "pack",
    pair_inputs: Annotated[
        str, typer.Option(help="what pair heads read: some of cls,a,b,diff,prod,overlap")
    ] = ",".join(DEFAULT_PAIR_INPUTS),
    temperature: Annotated[float, typer.Option(help="language/task sampling temperature")] = 2.0,
    dropout: Annotated[float, typer.Option(help="dropout in the task heads")] = 0.1,
    workers: Annotated[int, typer.Option(help="tokenisation processes")] = 2,
    steps_per_epoch: Annotated[int, typer.Option(help="steps between dev scores")] = 200,
    seed: Annotated[int, typer.Option(help="random seed")] = 13,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    competition: Annotated[Path | None, _old_data()] = None,
) -> None:
    """Train the multi-task baseline on a competition's public data."""
    started = time.monotonic()
    folder = _data_folder(data, competition, needed=True)
    assert folder is not None  # needed=True
    try:
        from podium.baseline.corpus import load_corpus
        from podium.baseline.model import TinySize, build_model
        from podium.baseline.training import TrainOptions, fit

        chosen, parts = _choices(layout, tasks, pair_inputs)
        corpus = load_corpus(folder, chosen)
        size = TinySize(
            layers=layers, hidden=hidden, heads=max(1, hidden // 64), intermediate=4 * hidden,
            vocab=vocab,
        )  # fmt: skip
        net, tokenizer = build_model(
            encoder, corpus, size=size, max_len=max_len, dropout=dropout, pair_inputs=parts
        )
        options = TrainOptions(
            max_minutes=max_minutes, max_steps=max_steps, lr=lr, layer_decay=layer_decay,
            precision=precision, accumulate=accumulate, seed=seed, token_budget=token_budget,
            layout=layout, temperature=temperature, workers=workers,
            steps_per_epoch=steps_per_epoch, progress=not quiet,
        )  # fmt: skip
        left = max_minutes * 60 - (time.monotonic() - started)
        result = fit(net, tokenizer, corpus, out, options, seconds_left=max(left, 1.0))
    except PodiumError as err:
        _fail(err)
        return
    except ModuleNotFoundError as err:
        _fail(_missing(err))
        return
    _print_result(result)


def _choices(
    layout: str, tasks: str | None, pair_inputs: str
) -> tuple[list[str] | None, tuple[str, ...]]:
    """The chosen task ids and pair-head inputs, or a clear error for unknown ones."""
    from podium.baseline.training import LAYOUTS

    if layout not in LAYOUTS:
        raise PodiumError(f"unknown layout {layout!r}", hint=f"one of {', '.join(LAYOUTS)}")
    chosen = [t.strip() for t in tasks.split(",") if t.strip()] if tasks else None
    parts = tuple(p.strip() for p in pair_inputs.split(",") if p.strip())
    unknown = [p for p in parts if p not in PAIR_PARTS]
    if unknown or not parts:
        raise PodiumError(
            f"unknown pair inputs {pair_inputs!r}", hint=f"some of {','.join(PAIR_PARTS)}"
        )
    return chosen, parts


def _print_result(result: "TrainResult") -> None:
    from rich.console import Console

    console = Console(highlight=False)
    console.print(_scores_table(result.scores))
    means = ", ".join(f"{t} {v:.2f}" for t, v in result.task_scores.items())
    console.print(f"{result.steps} steps in {result.seconds:.0f} s; dev: {means}")
    if result.lexical:
        console.print(
            f"answered by their lexical heads (better on dev): {', '.join(result.lexical)}"
        )
    console.print(f"best checkpoint: {result.best}")
    console.print(f"next: podium baseline package {result.best} SUBMISSION_DIR")


@baseline_app.command()
def package(
    checkpoint: Annotated[Path, typer.Argument(help="best.ckpt or last.ckpt of a run")],
    out: Annotated[Path, typer.Argument(help="submission folder to write")],
    data: Annotated[
        Path | None,
        typer.Option(help="check the checkpoint covers the tasks of this data (or competition)"),
    ] = None,
    bf16: Annotated[
        bool, typer.Option(help="bf16 inference (faster on CPUs with AVX512-BF16)")
    ] = False,
    competition: Annotated[Path | None, _old_data()] = None,
    environment: Annotated[
        str | None,
        typer.Option(
            help="'own': bring a requirements.txt of the exact runtime (torch==2.13.0...); "
            "NAME: run in the competition's [environments.NAME]; default: the evaluator's"
        ),
    ] = None,
) -> None:
    """Write a ready submission folder (weights, tokenizer, podium.toml, predict.py)."""
    data = _data_folder(data, competition, needed=False)
    try:
        from podium.baseline.packaging import package as write_package

        task_list = None
        if data is not None:
            from podium.baseline.corpus import public_dir
            from podium.tasks import default_registry

            _, ids, _ = public_dir(data)
            registry = default_registry()
            task_list = [registry.get(t) for t in ids or registry.ids()]
        folder = write_package(checkpoint, out, tasks=task_list, bf16=bf16, environment=environment)
    except PodiumError as err:
        _fail(err)
        return
    except ModuleNotFoundError as err:
        _fail(_missing(err))
        return
    from rich.console import Console

    console = Console(highlight=False)
    console.print(f"submission written to {folder}")
    console.print(f"next: podium check {folder} --data PUBLIC_DIR  then  podium submit {folder}")
