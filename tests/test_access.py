"""Every access rule, directly: pure functions over principals and facts, no store, no server."""

from __future__ import annotations

from dataclasses import replace

import pytest

from podium.core.errors import AuthenticationError, ForbiddenError
from podium.rules.access import (
    Account,
    Action,
    Administration,
    Principal,
    RunLog,
    StageCode,
    StageFacts,
    StageResults,
    Team,
    TeamSubmission,
    Thing,
    allowed,
    ensure,
    new_token,
    token_digest,
)

LEX = Principal(1, "team", "Quick Lex")
DEEP = Principal(2, "team", "Deep Percept")
ORG = Principal(3, "organizer", None, "Ada")
ANON = None
WHO = {"anonymous": ANON, "team": LEX, "other team": DEEP, "organizer": ORG}

OPEN = StageFacts("evaluation", hidden=False, revealed=False, releases_code=True, closed=False)
RELEASED = replace(OPEN, closed=True)
KEPT = StageFacts("evaluation", hidden=False, revealed=False, releases_code=False, closed=True)
FINAL = StageFacts("final", hidden=True, revealed=False, releases_code=False, closed=True)
REVEALED = replace(FINAL, revealed=True)


def who_may(action: Action, thing: Thing) -> set[str]:
    return {name for name, who in WHO.items() if allowed(who, action, thing)}


def test_anyone_signed_in_may_use_their_account() -> None:
    assert who_may("use", Account()) == {"team", "other team", "organizer"}
    assert ensure(LEX, "use", Account()) is LEX


def test_only_organizers_manage_the_competition() -> None:
    assert who_may("manage", Administration()) == {"organizer"}
    with pytest.raises(ForbiddenError, match="only organizers may do this"):
        ensure(LEX, "manage", Administration())


def test_a_team_page_is_its_members_and_the_organizers() -> None:
    assert who_may("see", Team("Quick Lex")) == {"team", "organizer"}
    with pytest.raises(ForbiddenError, match="visible only to its members and organizers"):
        ensure(DEEP, "see", Team("Quick Lex"))


def test_a_team_submits_for_itself_and_organizers_for_any_team() -> None:
    assert who_may("submit", Team("Quick Lex")) == {"team", "organizer"}
    with pytest.raises(ForbiddenError) as refused:
        ensure(DEEP, "submit", Team("Quick Lex"))
    assert refused.value.what == "a token of team 'Deep Percept' cannot submit for team 'Quick Lex'"


@pytest.mark.parametrize("stage", [OPEN, RELEASED, FINAL])
def test_a_submission_record_is_its_team_s_whatever_the_stage(stage: StageFacts) -> None:
    assert who_may("see", TeamSubmission("Quick Lex", 7, stage)) == {"team", "organizer"}
    with pytest.raises(ForbiddenError, match="submission 7 belongs to another team"):
        ensure(DEEP, "see", TeamSubmission("Quick Lex", 7, stage))


def test_code_is_the_team_s_until_a_stage_that_releases_it_closes() -> None:
    own = {"team", "organizer"}
    assert who_may("download", TeamSubmission("Quick Lex", 7, OPEN)) == own
    assert who_may("download", TeamSubmission("Quick Lex", 7, KEPT)) == own
    assert who_may("download", TeamSubmission("Quick Lex", 7, RELEASED)) == {*own, "other team"}
    with pytest.raises(ForbiddenError, match="submission 7 belongs to another team"):
        ensure(DEEP, "download", TeamSubmission("Quick Lex", 7, OPEN))


def test_released_code_is_linked_for_everyone_signed_in() -> None:
    assert who_may("download", StageCode(RELEASED)) == {"team", "other team", "organizer"}
    assert who_may("download", StageCode(OPEN)) == set()
    assert who_may("download", StageCode(KEPT)) == set()
    with pytest.raises(ForbiddenError, match="not released"):
        ensure(ORG, "download", StageCode(OPEN))


def test_a_run_log_needs_the_code_and_the_results() -> None:
    assert who_may("see", RunLog("Quick Lex", 3, OPEN)) == {"team", "organizer"}
    assert who_may("see", RunLog("Quick Lex", 3, RELEASED)) == {"team", "other team", "organizer"}
    # the final's own logs stay with the organizers until it is revealed, even for the team
    assert who_may("see", RunLog("Quick Lex", 3, FINAL)) == {"organizer"}
    assert who_may("see", RunLog("Quick Lex", 3, REVEALED)) == {"team", "organizer"}
    for who in (LEX, DEEP):
        with pytest.raises(ForbiddenError, match="run 3 belongs to another team"):
            ensure(who, "see", RunLog("Quick Lex", 3, FINAL))


def test_results_are_public_unless_hidden_and_not_yet_revealed() -> None:
    assert who_may("see", StageResults(OPEN)) == set(WHO)
    assert who_may("see", StageResults(REVEALED)) == set(WHO)
    assert who_may("see", StageResults(FINAL)) == {"organizer"}
    assert ensure(ANON, "see", StageResults(OPEN)) is None
    for who in (ANON, LEX):  # signing in as a team would not help: 403, not 401
        with pytest.raises(ForbiddenError) as refused:
            ensure(who, "see", StageResults(FINAL))
        assert refused.value.what == "the results of stage 'final' are hidden until revealed"
        assert refused.value.hint == "the organizer reveals them with `podium final reveal`"


@pytest.mark.parametrize(
    ("action", "thing"),
    [
        ("use", Account()),
        ("manage", Administration()),
        ("see", Team("Quick Lex")),
        ("submit", Team("Quick Lex")),
        ("see", TeamSubmission("Quick Lex", 7, RELEASED)),
        ("download", TeamSubmission("Quick Lex", 7, RELEASED)),
        ("see", RunLog("Quick Lex", 3, RELEASED)),
        ("download", StageCode(RELEASED)),
    ],
)
def test_nobody_signed_in_is_asked_to_sign_in(action: Action, thing: Thing) -> None:
    with pytest.raises(AuthenticationError) as refused:
        ensure(ANON, action, thing)
    assert refused.value.what == "sign in first"
    assert refused.value.hint == "with the token your organizer gave you"


@pytest.mark.parametrize(
    ("action", "thing"),
    [
        ("manage", Team("Quick Lex")),
        ("submit", Administration()),
        ("download", RunLog("Quick Lex", 3, RELEASED)),
        ("submit", StageResults(OPEN)),
        ("see", StageCode(RELEASED)),
    ],
)
def test_what_no_rule_allows_is_refused_even_to_organizers(action: Action, thing: Thing) -> None:
    assert who_may(action, thing) == set()
    with pytest.raises(ForbiddenError, match="no rule lets anyone"):
        ensure(ORG, action, thing)


def test_tokens_are_random_and_kept_as_their_digest() -> None:
    token = new_token()
    assert token.startswith("pdm_") and token != new_token()
    assert token_digest(f"  {token}\n") == token_digest(token) != token


def test_a_worker_token_evaluates_and_does_nothing_else() -> None:
    from podium.rules.access import Evaluating

    machine = Principal(9, "worker", None, "gpu-01")
    assert allowed(machine, "evaluate", Evaluating()) and machine.display == "worker gpu-01"
    things: list[tuple[Action, Thing]] = [
        ("use", Account()), ("manage", Administration()), ("see", Team("Quick Lex")),
        ("submit", Team("Quick Lex")), ("see", StageResults(OPEN)),
        ("download", StageCode(RELEASED)), ("see", RunLog("Quick Lex", 1, RELEASED)),
    ]  # fmt: skip
    for action, thing in things:  # even what is public to anonymous visitors
        with pytest.raises(ForbiddenError, match="worker token"):
            ensure(machine, action, thing)
    for who in (LEX, ORG):
        assert not allowed(who, "evaluate", Evaluating())
    with pytest.raises(AuthenticationError):
        ensure(ANON, "evaluate", Evaluating())


def test_the_board_is_read_asked_and_answered_by_anyone_signed_in() -> None:
    from podium.rules.access import Board, Question

    signed_in = {"team", "other team", "organizer"}
    assert who_may("see", Board()) == who_may("ask", Board()) == signed_in
    assert who_may("answer", Question(1, closed=False)) == signed_in
    assert who_may("ask", Board(anonymous=True)) == {"team", "other team"}
    with pytest.raises(ForbiddenError, match="only a team may ask anonymously"):
        ensure(ORG, "ask", Board(anonymous=True))
    with pytest.raises(AuthenticationError):
        ensure(ANON, "see", Board())
    with pytest.raises(ForbiddenError, match="worker token"):
        ensure(Principal(9, "worker", None, "gpu-01"), "see", Board())


def test_a_closed_question_takes_no_answers_and_only_organizers_moderate() -> None:
    from podium.core.errors import RuleError
    from podium.rules.access import Question

    closed = Question(7, closed=True)
    assert who_may("answer", closed) == set()
    with pytest.raises(RuleError, match="question 7 is closed"):
        ensure(ORG, "answer", closed)
    assert who_may("moderate", closed) == who_may("moderate", Question(7, False)) == {"organizer"}
    with pytest.raises(ForbiddenError, match="only organizers may pin"):
        ensure(LEX, "moderate", closed)
    assert who_may("ask", Question(7, False)) == set()  # a question is answered, not asked
