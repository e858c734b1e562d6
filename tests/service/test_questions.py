"""The question board: the flow, anonymity kept out of every view, the limits of the text,
and the competition's scope, on a real store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from podium.core.errors import (
    AuthenticationError,
    ForbiddenError,
    InputError,
    NotFoundError,
    RuleError,
)
from podium.rules.access import Principal
from podium.service import Podium
from podium.service.questions import checked_body, checked_title
from podium.store.models import Answer, Question

from ..conftest import count_rows


def _who(podium: Podium, team: str | None) -> Principal:
    token = podium.tokens.create("team", team=team) if team else podium.tokens.create("organizer")
    who = podium.tokens.authenticate(token)
    assert who is not None
    return who


def test_ask_answer_pin_close_then_answers_are_refused(podium: Podium) -> None:
    alpha, beta, org = _who(podium, "Alpha"), _who(podium, "Beta"), _who(podium, None)
    board = podium.questions
    first = board.ask(alpha, "  Which   GPU?\n", "Is it an **A100**?")
    second = board.ask(beta, "Deadline?", "When does the stage close?")
    assert (first.title, first.author, first.answers) == ("Which GPU?", "team Alpha", 0)
    assert [q.id for q in board.board()] == [second.id, first.id]  # newest activity first
    answered = board.answer(org, first.id, "An L4, see the [rules](https://example.org).")
    assert (answered.author, answered.question_id) == ("organizer", first.id)
    board.answer(beta, first.id, "Same question here")
    assert [(q.id, q.answers) for q in board.board()] == [(first.id, 2), (second.id, 0)]
    pinned = board.pin(org, second.id)
    assert pinned.pinned and [q.id for q in board.board()] == [second.id, first.id]
    closed = board.close(org, first.id)
    assert closed.closed and closed.answers == 2
    with pytest.raises(RuleError, match=f"question {first.id} is closed"):
        board.answer(alpha, first.id, "one more")
    thread = board.thread(first.id)
    assert [a.body for a in thread.answers] == [answered.body, "Same question here"]
    assert board.close(org, first.id, closed=False).closed is False
    board.answer(alpha, first.id, "thanks")
    assert board.pin(org, second.id, pinned=False).pinned is False
    assert board.board()[0].id == first.id  # reopened and answered: the latest activity


def test_a_team_cannot_moderate_and_nobody_unsigned_can_write(podium: Podium) -> None:
    alpha = _who(podium, "Alpha")
    asked = podium.questions.ask(alpha, "Mine", "Can I pin my own question?")
    with pytest.raises(ForbiddenError, match="only organizers"):
        podium.questions.pin(alpha, asked.id)
    with pytest.raises(ForbiddenError, match="only organizers"):
        podium.questions.close(alpha, asked.id)
    with pytest.raises(AuthenticationError):
        podium.questions.ask(None, "t", "b")
    with pytest.raises(AuthenticationError):
        podium.questions.answer(None, asked.id, "b")
    assert not podium.questions.board()[0].pinned


def test_an_anonymous_question_names_no_team_but_the_store_keeps_the_author(
    podium: Podium,
) -> None:
    alpha, org = _who(podium, "Alpha"), _who(podium, None)
    asked = podium.questions.ask(alpha, "Is this allowed?", "Asking for a friend", anonymous=True)
    views = [asked, podium.questions.board()[0], podium.questions.thread(asked.id).question,
             podium.questions.pin(org, asked.id)]  # fmt: skip
    for view in views:
        assert view.author == "a team" and view.anonymous
        assert "Alpha" not in repr(view) and "Alpha" not in str(view.to_dict())
    with pytest.raises(ForbiddenError, match="only a team may ask anonymously"):
        podium.questions.ask(org, "t", "b", anonymous=True)
    with podium.competition.sessions() as s:
        row = s.scalars(select(Question)).one()
        assert row.team is not None and row.team.name == "Alpha"
        assert row.token_id == alpha.token_id


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("", "body", "the title is empty"),
        (" \n\t ", "body", "the title is empty"),
        ("t", "  \n ", "the text is empty"),
        ("x" * 201, "body", "the title is 201 characters long; the limit is 200"),
        ("t", "y" * 10_001, "the text is 10,001 characters long; the limit is 10,000"),
        ("t", "nul \x00 inside", "control character U\\+0000 at position 5"),
        ("\x1b[2J wiped", "b", "control character U\\+001B at position 1"),
        ("t", "lone \ud800 surrogate", "not valid Unicode"),
    ],
)
def test_unusable_text_is_refused_and_nothing_is_stored(
    podium: Podium, title: str, body: str, message: str
) -> None:
    alpha = _who(podium, "Alpha")
    with pytest.raises(InputError, match=message):
        podium.questions.ask(alpha, title, body)
    assert count_rows(podium.competition.root, "questions") == 0


def test_a_huge_answer_is_refused_and_the_limits_are_inclusive(podium: Podium) -> None:
    alpha = _who(podium, "Alpha")
    asked = podium.questions.ask(alpha, "x" * 200, "y" * 10_000)
    with pytest.raises(InputError, match="the answer is 1,000,000 characters long"):
        podium.questions.answer(alpha, asked.id, "z" * 1_000_000)
    assert count_rows(podium.competition.root, "answers") == 0
    assert checked_title("a\nb") == "a b" and checked_body("  b \n") == "b"


def test_a_question_of_another_competition_is_not_there(podium: Podium, tmp_path: Path) -> None:
    alpha, org = _who(podium, "Alpha"), _who(podium, None)
    ours = podium.questions.ask(alpha, "Ours", "a question here")
    root = tmp_path / "second"  # another competition in the same store
    root.mkdir()
    spec = podium.competition.spec_text.replace('name = "test cup"', 'name = "second cup"')
    store = podium.competition.layout.store_file
    (root / "competition.toml").write_text(spec + f'\n[store]\nurl = "sqlite:///{store}"\n')
    shutil.copytree(podium.competition.layout.sealed_dir, root / "sealed")
    other = Podium.open(root)
    try:
        other.setup.add_team("Gamma", ["Gil"])
        theirs = other.questions.ask(_who(other, "Gamma"), "Theirs", "a question elsewhere")
        assert [q.id for q in other.questions.board()] == [theirs.id]
    finally:
        other.close()
    for attempt in (
        lambda: podium.questions.thread(theirs.id),
        lambda: podium.questions.answer(alpha, theirs.id, "hello"),
        lambda: podium.questions.close(org, theirs.id),
        lambda: podium.questions.thread(10**12),
    ):
        with pytest.raises(NotFoundError, match="no question"):
            attempt()
    assert [q.id for q in podium.questions.board()] == [ours.id]
    with podium.competition.sessions() as s:
        assert s.scalar(select(Answer)) is None
