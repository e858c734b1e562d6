"""[notify]: Apprise URLs checked at load, ${ENV_VAR}s expanded, secrets never printed."""

from __future__ import annotations

import pytest

from podium.config.channels import expand, shown
from podium.config.spec import parse_spec
from podium.core.errors import SpecError
from podium.service.news import send_with_apprise

BASE = 'name = "cup"\n'


def test_urls_for_everyone_and_per_team_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_TOKEN", "s3cret")
    spec = parse_spec(
        BASE + '[notify]\nurls = ["json://127.0.0.1:9/all?t=${HOOK_TOKEN}"]\n'
        '[notify.teams]\n"Deep Percept" = ["json://127.0.0.1:9/deep", "mailto://u:p@example.com"]\n'
    )
    assert spec.notify.channel(None) == ["json://127.0.0.1:9/all?t=${HOOK_TOKEN}"]
    assert len(spec.notify.channel("Deep Percept")) == 2
    assert spec.notify.channel("Quick Lex") == []
    assert expand(spec.notify.urls[0]) == "json://127.0.0.1:9/all?t=s3cret"


def test_an_unusable_url_is_named_by_position_without_its_secret() -> None:
    with pytest.raises(SpecError) as err:
        parse_spec(
            BASE + '[notify]\nurls = ["json://127.0.0.1:9/ok"]\n'
            '[notify.teams]\nLex = ["nosuchservice://user:hunter2@host/x"]\n'
        )
    message = err.value.message
    assert 'notify.teams."Lex"[0]' in message and "nosuchservice://…" in message
    assert "hunter2" not in message and "user" not in message


def test_a_missing_environment_variable_matters_only_when_sending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A shell without the variable runs every command; sending says which one to export."""
    monkeypatch.delenv("NO_SUCH_PODIUM_VAR", raising=False)
    spec = parse_spec(
        BASE + '[notify]\nurls = ["json://127.0.0.1:9/a", '
        '"json://127.0.0.1:9/b?t=${NO_SUCH_PODIUM_VAR}"]\n'
    )
    reason = send_with_apprise(spec.notify.urls[1], "title", "body", timeout=1.0)
    assert reason is not None
    assert "the environment variable NO_SUCH_PODIUM_VAR is not set (export it" in reason


@pytest.mark.parametrize("hostile", ["${}", "${A B}", "${1X}", "${PATH:-x}"])
def test_malformed_variables_are_refused(hostile: str) -> None:
    with pytest.raises(SpecError, match="not an environment variable name"):
        parse_spec(BASE + f'[notify]\nurls = ["json://127.0.0.1:9/{hostile}"]\n')


def test_unknown_notify_fields_are_refused() -> None:
    with pytest.raises(SpecError, match="notify.url: unknown field"):
        parse_spec(BASE + '[notify]\nurl = "json://127.0.0.1:9/a"\n')


def test_shown_urls_keep_only_the_scheme() -> None:
    assert shown("slack://T000/B000/XXXXsecret") == "slack://…"
    assert shown("not a url at all") == "(not a URL)"


def test_a_url_from_the_environment_shows_the_scheme_it_expands_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PODIUM_TEST_NEWS", "json://user:secret@127.0.0.1:9")
    assert shown("${PODIUM_TEST_NEWS}/everyone") == "json://…"
    monkeypatch.delenv("PODIUM_TEST_NEWS")
    assert shown("${PODIUM_TEST_NEWS}/everyone") == "(not a URL)"
