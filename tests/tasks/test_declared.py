"""[tasks] tables: presets keep today's meaning, declared tasks are checked with suggestions,
and the metrics that count must share a direction."""

from __future__ import annotations

import pytest

from podium.config.spec import competition_tasks, higher_is_better, parse_spec
from podium.config.template import render_default_spec
from podium.core.errors import SpecError
from podium.tasks import Task, TaskRegistry, TaskType, default_registry, preset_tasks


def _tasks(body: str) -> TaskRegistry:
    return competition_tasks(parse_spec('name = "x"\n' + body))


def _error(body: str) -> SpecError:
    with pytest.raises(SpecError) as err:
        parse_spec('name = "x"\n' + body)
    return err.value


def test_presets_are_todays_xtreme_tasks_byte_for_byte() -> None:
    shipped = {t.id: t for t in default_registry()}
    assert shipped == {t.id: t for t in preset_tasks("xtreme")}
    implicit = _tasks("[tasks.xnli]\n[tasks.udpos]\nmetric = 'token_accuracy'")
    explicit = _tasks("[tasks.xnli]\npreset = 'xtreme'\n[tasks.udpos]\npreset = 'xtreme'")
    assert [t.model_dump() for t in implicit] == [t.model_dump() for t in explicit]
    assert implicit.get("xnli") == shipped["xnli"]
    xnli, udpos = shipped["xnli"], shipped["udpos"]
    assert (xnli.type, xnli.inputs, xnli.metrics) == (
        TaskType.PAIR_CLASSIFICATION,
        ("text_a", "text_b"),
        ("accuracy",),
    )
    assert (udpos.type, udpos.inputs, udpos.metrics) == (
        TaskType.TAGGING,
        ("tokens",),
        ("span_f1", "token_accuracy"),
    )
    assert xnli.kind.value == "pair" and udpos.kind.value == "tagging"  # the baseline kit's view


def test_the_default_spec_and_template_mean_what_they_meant() -> None:
    for spec in (parse_spec('name = "x"'), parse_spec(render_default_spec())):
        tasks = competition_tasks(spec)
        assert tasks.ids() == ["xnli", "pawsx", "udpos", "panx"]
        assert [spec.task_metric(t, tasks) for t in tasks.ids()] == [
            "accuracy",
            "accuracy",
            "span_f1",
            "span_f1",
        ]
        assert higher_is_better(spec, tasks)


def test_a_preset_may_report_more_metrics() -> None:
    tasks = _tasks("[tasks.xnli]\nmetrics = ['macro_f1']")
    assert tasks.get("xnli").metrics == ("accuracy", "macro_f1")
    assert tasks.get("xnli").default_metric == "accuracy"


def test_a_declared_task_gets_defaults_by_type() -> None:
    tasks = _tasks(
        "[tasks.topic]\ntype = 'classification'\nlabels = ['a', 'b']\n"
        "[tasks.nli]\ntype = 'pair_classification'\nlabels = ['y', 'n']\nlanguages = ['en', 'de']\n"
        "[tasks.ner]\ntype = 'tagging'\nlabels = ['O', 'B-X']\n"
    )
    topic, nli, ner = (tasks.get(t) for t in ("topic", "nli", "ner"))
    assert (topic.inputs, topic.metrics, topic.languages) == (
        ("text",),
        ("accuracy",),
        ("default",),
    )
    assert (nli.inputs, nli.languages) == (("text_a", "text_b"), ("en", "de"))
    assert (ner.inputs, ner.metrics, ner.answer_key) == (("tokens",), ("span_f1",), "tags")
    assert topic.title == "topic"


def test_a_regression_task_reads_any_fields_and_has_no_labels() -> None:
    tasks = _tasks(
        "[tasks.price]\ntype = 'regression'\ninputs = ['rooms', 'features']\nmetric = 'mae'"
    )
    price = tasks.get("price")
    assert (price.labels, price.inputs, price.answer_key) == ((), ("rooms", "features"), "value")
    assert not higher_is_better(
        parse_spec('name = "x"\n[tasks.price]\ntype = "regression"\nmetric = "mae"'), tasks
    )


@pytest.mark.parametrize(
    ("body", "what", "hint"),
    [
        ("[tasks.x]\ntype = 'clasification'\nlabels = ['a', 'b']", "did you mean 'classification'", ""),
        ("[tasks.x]\ntype = 'classification'\nlabels = ['a', 'b']\nmetric = 'acuracy'",
         "unknown metric 'acuracy'", "did you mean 'accuracy'"),
        ("[tasks.x]\ntype = 'classification'\nlabels = ['a', 'b']\nmetric = 'rmse'",
         "'rmse' scores a 'value', but a classification task predicts a 'label'", "accuracy, macro_f1"),
        ("[tasks.x]\ntype = 'tagging'\nlabels = ['O', 'B']\nmetric = 'accuracy'",
         "'accuracy' scores a 'label'", "span_f1, token_accuracy"),
        ("[tasks.x]\ntype = 'regression'", "a regression task must name its metric", "pearson"),
        ("[tasks.x]\ntype = 'regression'\nmetric = 'mae'\nlabels = ['a', 'b']",
         "a regression task has no labels", ""),
        ("[tasks.x]\ntype = 'classification'\nlabels = ['a']", "needs at least 2 labels", ""),
        ("[tasks.x]\ntype = 'tagging'\nlabels = ['O', 'B']\ninputs = ['words']",
         "tags its 'tokens' input", ""),
        ("[tasks.x]\ntype = 'classification'\nlabels = ['a', 'b']\ninputs = ['id']",
         "'id' is always in an input record", ""),
        ("[tasks.x]\ntype = 'classification'\nlabels = ['a', 'b']\ninputs = ['a b']",
         "inputs: 'a b' must match", ""),
        ("[tasks.x]\ntype = 'classification'\nlabels = ['a', 'b']\nlanguages = ['../etc']",
         "languages: '../etc' must match", ""),
        ("[tasks.x]\ntype = 'classification'\nlabels = ['a', 'a']", "labels must be unique", ""),
        ("[tasks.x]\ntype = 'classification'\nlabels = ['a', 'b']\nmetric = 'a b:c'",
         "not of the form 'module:function'", "scoring.py"),
        ("[tasks.x]\ntype = 'regression'\nmetric = 'rmse'\nhigher_is_better = true",
         "'rmse' has a fixed direction", "custom"),
        ("[tasks.x]\ntype = 'regression'\nmetric = 'rmse'\npreset = 'xtreme'",
         "either a preset or declared", ""),
        ("[tasks.xnli]\npreset = 'xtrem'", "unknown preset 'xtrem'", "did you mean 'xtreme'"),
        ("[tasks.xnlii]\npreset = 'xtreme'", "preset 'xtreme' has no task 'xnlii'", "'xnli'"),
        ("[tasks.xnlii]", "unknown task 'xnlii'", "or declare it with a `type`"),
        ("[tasks.xnli]\nlabels = ['a', 'b']", "only a declared task (with a `type`) sets labels", ""),
        ("[tasks.xnli]\nmetric = 'pearson'", "does not report 'pearson'", ""),
        ("[tasks.xnli]\n[tasks.price]\ntype = 'regression'\nmetric = 'mae'",
         "higher is better for xnli, lower for price", "mean_rank"),
        ("[tasks.price]\ntype = 'regression'\nmetric = 'my:error'\nhigher_is_better = false\n"
         "[tasks.xnli]", "mix directions", ""),
    ],
)  # fmt: skip
def test_bad_tables_are_named_with_a_hint(body: str, what: str, hint: str) -> None:
    err = _error(body)
    assert what in err.what
    assert hint in (err.hint or "")
    assert err.where == "competition.toml"


def test_a_custom_metric_is_not_imported_by_the_spec() -> None:
    tasks = _tasks("[tasks.x]\ntype = 'regression'\nmetric = 'not_a_module_anywhere:score'")
    assert tasks.get("x").metrics == ("not_a_module_anywhere:score",)


def test_a_task_is_validated_without_the_spec() -> None:
    with pytest.raises(ValueError, match="a regression task has no labels"):
        Task(
            id="t",
            title="t",
            type=TaskType.REGRESSION,
            labels=("a", "b"),
            metrics=("mae",),
            default_metric="mae",
        )
