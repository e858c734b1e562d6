from __future__ import annotations

import re
from pathlib import Path

import pytest

from podium.config.spec import load_spec, parse_cpus, parse_spec
from podium.config.template import render_default_spec
from podium.core.errors import SpecError
from podium.tasks import default_registry


def test_default_spec_has_the_seed_competition_defaults() -> None:
    spec = parse_spec(render_default_spec())
    assert list(spec.tasks) == ["xnli", "pawsx", "udpos", "panx"]
    evaluation, final = spec.stages
    assert (evaluation.name, evaluation.split, evaluation.attempts) == ("evaluation", "eval", 3)
    assert evaluation.leaderboard == "public"
    assert (final.name, final.split, final.attempts, final.leaderboard) == (
        "final",
        "final",
        1,
        "hidden",
    )
    assert spec.reranking.bonus_places == [2, 1]
    assert spec.reranking.max_score_gap == 10.0
    assert spec.reranking.min_efficiency_gain == 0.05
    assert spec.task_metric("udpos", default_registry()) == "span_f1"
    assert len(spec.task_languages("panx", default_registry())) == 40


def test_unknown_field_names_the_field_and_file(tmp_path: Path) -> None:
    path = tmp_path / "competition.toml"
    path.write_text(render_default_spec().replace("attempts = 3", "attemps = 3"))
    with pytest.raises(SpecError) as err:
        load_spec(tmp_path)
    assert str(path) in err.value.message
    assert "stages.0.attemps: unknown field; did you mean 'attempts'?" in err.value.message


@pytest.mark.parametrize(
    "default, misspelt, said",
    [
        ("photo_finish_max_runs = 400", "photo_finish_max_rns = 400",
         "efficiency.photo_finish_max_rns: unknown field; did you mean 'photo_finish_max_runs'"),
        ('[tasks.xnli]\nmetric', '[tasks.xnli]\nmetrc', "tasks.xnli.metrc: unknown field; did you mean 'metric'"),
        ('hardware = "local"', 'hardwre = "local"', "hardwre: unknown field; did you mean 'hardware'?"),
        ("[data]\n", "[data]\nzzqq = 1\n", "data.zzqq: unknown field; known: columns, dev, eval"),
    ],
)  # fmt: skip
def test_a_misspelt_field_gets_the_closest_names_of_its_own_table(
    default: str, misspelt: str, said: str
) -> None:
    text = render_default_spec()
    assert default in text
    with pytest.raises(SpecError, match=re.escape(said)):
        parse_spec(text.replace(default, misspelt, 1))


def test_bad_value_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="reranking.min_efficiency_gain"):
        parse_spec(
            render_default_spec().replace("min_efficiency_gain = 0.05", "min_efficiency_gain = 2")
        )
    with pytest.raises(SpecError, match="not valid TOML"):
        parse_spec("name = ")


def test_fractions_must_sum_to_one() -> None:
    with pytest.raises(SpecError, match="must be 1.0"):
        parse_spec(render_default_spec().replace("public = 0.6", "public = 0.7"))


def test_unknown_task_and_language_suggest_close_matches() -> None:
    with pytest.raises(SpecError, match="did you mean 'panx'"):
        parse_spec(render_default_spec().replace("[tasks.panx]", "[tasks.pan]"))
    text = render_default_spec().replace(
        "[tasks.xnli]\n", '[tasks.xnli]\nlanguages = ["en", "dee"]\n'
    )
    with pytest.raises(SpecError, match="'de'"):
        parse_spec(text)


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="podium init"):
        load_spec(tmp_path)


@pytest.mark.parametrize(
    ("line", "message"),
    [('cpus = "2-x"', "'2-x' is not a CPU number or range"),
     ('cpus = "7-2"', "'7-2' runs backwards"),
     ("gpus = [-1]", "GPU indices are 0 or more"),
     ('gpus = "some"', "sandbox.gpus")],
)  # fmt: skip
def test_cpu_and_gpu_choices_are_checked(line: str, message: str) -> None:
    text = render_default_spec().replace('gpus = "all"', line)
    with pytest.raises(SpecError, match=re.escape(message)):
        parse_spec(text)


def test_cpus_parse_into_a_set() -> None:
    spec = parse_spec(render_default_spec().replace('gpus = "all"', 'cpus = "0-2,5"\ngpus = [0]'))
    assert spec.sandbox.cpus == "0-2,5" and spec.sandbox.gpus == [0]
    assert parse_cpus("0-2,5") == {0, 1, 2, 5}


def test_init_sets_fields_in_place_and_keeps_their_comments(tmp_path: Path) -> None:
    from podium.service import init_competition

    settings = ["efficiency.photo_finish_max_runs=10", "hardware=a100 box",
                "reranking.bonus_places=[3, 1]", "tasks.xnli.languages=[\"en\", \"de\"]",
                "data.max_examples_per_language=50"]  # fmt: skip
    path = init_competition(tmp_path / "cup", settings=settings)
    text = path.read_text()
    assert re.search(r"^photo_finish_max_runs = 10 +# the most an \"auto\" budget", text, re.M)
    assert text.count("photo_finish_max_runs") == 1 and 'hardware = "a100 box"' in text
    assert "\nmax_examples_per_language = 50\n" in text  # was commented out, had no comment
    spec = load_spec(path)
    assert spec.efficiency.photo_finish_max_runs == 10 and spec.hardware == "a100 box"
    assert spec.reranking.bonus_places == [3, 1] and spec.tasks["xnli"].languages == ["en", "de"]


@pytest.mark.parametrize(
    "setting, message",
    [
        ("efficiency.photo_finish_max_run=10", "efficiency.photo_finish_max_run: unknown field"),
        ("efficiency.photo_finish_max_runs=0", "greater than or equal to 1"),
        ("stages.attempts=2", r"\[\[stages\]\] is a list of tables"),
        ("efficiency.repeats=1\nnoise_prior = 9", "repeats: Input should be a valid integer"),
        ("photo_finish_max_runs", "is not FIELD=VALUE"),
        ("nowhere.at_all=1", r"no section \[nowhere\]"),
    ],
)
def test_a_bad_setting_is_named_and_nothing_is_written(
    tmp_path: Path, setting: str, message: str
) -> None:
    from podium.service import init_competition

    with pytest.raises(SpecError, match=message):
        init_competition(tmp_path / "cup", settings=[setting])
    assert not (tmp_path / "cup").exists()
