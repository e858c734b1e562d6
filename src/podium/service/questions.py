"""The competition's question board: anyone signed in asks and answers, organizers pin and
close, a team may ask anonymously. Who may do what is decided by `podium.rules.access`; the rules of
the text (lengths, nothing empty, nothing a store cannot hold) are pure functions here.

A question asked anonymously keeps its author in the store for audit, and nothing here ever
returns it: every view of a question is made by `_question_info`, which says "a team"."""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from podium.core.errors import InputError, NotFoundError
from podium.rules.access import Board, Principal, ensure
from podium.rules.access import Question as QuestionThing
from podium.service.context import Competition
from podium.service.news import News
from podium.store.models import Answer, Question, Team, utcnow

TITLE_CHARACTERS = 200
BODY_CHARACTERS = 10_000
ANONYMOUS = "a team"


def checked_title(title: str) -> str:
    """One line of 1 to 200 characters (runs of whitespace become one space)."""
    return _checked("title", " ".join(title.split()), TITLE_CHARACTERS)


def checked_body(body: str, field: str = "text") -> str:
    """Markdown of 1 to 10,000 characters, trimmed at both ends."""
    return _checked(field, body.strip(), BODY_CHARACTERS)


def _checked(field: str, text: str, limit: int) -> str:
    if not text:
        raise InputError(f"the {field} is empty", hint=f"write 1 to {limit:,} characters")
    if len(text) > limit:
        raise InputError(
            f"the {field} is {len(text):,} characters long; the limit is {limit:,}",
            hint="shorten it, or link to a longer text",
        )
    control = next((c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t"), None)
    if control is not None:  # NUL cannot be stored on PostgreSQL, ESC would drive terminals
        raise InputError(
            f"the {field} contains the control character U+{ord(control):04X} at position "
            f"{text.index(control) + 1}",
            hint="remove it; text is plain Markdown",
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            f"the {field} is not valid Unicode (a lone surrogate)", hint="send it as UTF-8"
        ) from None
    return text


@dataclass(frozen=True)
class AnswerInfo:
    id: int
    question_id: int
    author: str
    body: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class QuestionInfo:
    id: int
    title: str
    body: str
    author: str  # "a team" when asked anonymously
    anonymous: bool
    pinned: bool
    closed: bool
    answers: int
    created_at: datetime
    active_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "created_at": self.created_at.isoformat(),
            "active_at": self.active_at.isoformat(),
        }


@dataclass(frozen=True)
class Thread:
    question: QuestionInfo
    answers: list[AnswerInfo]

    def to_dict(self) -> dict[str, Any]:
        return {**self.question.to_dict(), "thread": [a.to_dict() for a in self.answers]}


def _utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored one is UTC, and says so on both stores."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _author(team: Team | None) -> str:
    return f"team {team.name}" if team is not None else "organizer"


def _question_info(row: Question, answers: int) -> QuestionInfo:
    return QuestionInfo(
        id=row.id,
        title=row.title,
        body=row.body,
        author=ANONYMOUS if row.anonymous else _author(row.team),
        anonymous=row.anonymous,
        pinned=row.pinned,
        closed=row.closed,
        answers=answers,
        created_at=_utc(row.created_at),
        active_at=_utc(row.active_at),
    )


def _answer_info(row: Answer) -> AnswerInfo:
    author = _author(row.team)
    return AnswerInfo(row.id, row.question_id, author, row.body, _utc(row.created_at))


class Questions:
    """The board of one competition; every change takes who makes it."""

    def __init__(self, competition: Competition, news: News) -> None:
        self.c = competition
        self.news = news

    def board(self) -> list[QuestionInfo]:
        """Pinned first, then the most recently active. Reading is the front end's to allow
        (`ensure(who, "see", Board())`): the CLI reads as the competition's holder."""
        counts = (
            select(Answer.question_id, func.count().label("n"))
            .group_by(Answer.question_id)
            .subquery()
        )
        query = (
            self.c.scoped(select(Question, counts.c.n), via=Question)
            .outerjoin(counts, counts.c.question_id == Question.id)
            .options(selectinload(Question.team))
            .order_by(Question.pinned.desc(), Question.active_at.desc(), Question.id.desc())
        )
        with self.c.sessions() as s:
            return [_question_info(row, n or 0) for row, n in s.execute(query)]

    def thread(self, question_id: int) -> Thread:
        with self.c.sessions() as s:
            return self._thread(s, self._row(s, question_id))

    def ask(
        self, who: Principal | None, title: str, body: str, *, anonymous: bool = False
    ) -> QuestionInfo:
        """The question as stored (for the board, the API and the news)."""
        asker = ensure(who, "ask", Board(anonymous=anonymous))
        title, body = checked_title(title), checked_body(body)
        with self.c.sessions.begin() as s:
            row = Question(
                competition_id=self.c.id,
                token_id=asker.token_id,
                team_id=self._team_id(s, asker),
                anonymous=anonymous,
                title=title,
                body=body,
                pinned=False,
                closed=False,
            )
            s.add(row)
            s.flush()
            s.refresh(row, ["team"])
            asked = _question_info(row, 0)
            self.news.publish(
                "question_asked",
                f"Question #{asked.id} from {asked.author}: {asked.title}",
                data={"question": asked.id},
                session=s,
            )
        return asked

    def answer(self, who: Principal | None, question_id: int, body: str) -> AnswerInfo:
        """The answer as stored; a closed question takes none (409)."""
        ensure(who, "see", Board())
        body = checked_body(body, "answer")
        with self.c.sessions.begin() as s:
            question = self._row(s, question_id, lock=True)
            author = ensure(who, "answer", QuestionThing(question.id, question.closed))
            row = Answer(
                question_id=question.id,
                token_id=author.token_id,
                team_id=self._team_id(s, author),
                body=body,
            )
            s.add(row)
            question.active_at = utcnow()
            s.flush()
            s.refresh(row, ["team"])
            answered = _answer_info(row)
            self.news.publish(
                "question_answered",
                f"{answered.author} answered question #{question.id}: {question.title}",
                data={"question": question.id, "answer": answered.id},
                session=s,
            )
        return answered

    def pin(self, who: Principal | None, question_id: int, pinned: bool = True) -> QuestionInfo:
        """Pinned questions head the board (organizers)."""
        return self._moderate(who, question_id, pinned=pinned)

    def close(self, who: Principal | None, question_id: int, closed: bool = True) -> QuestionInfo:
        """A closed question takes no new answers until reopened (organizers)."""
        return self._moderate(who, question_id, closed=closed)

    def _moderate(
        self,
        who: Principal | None,
        question_id: int,
        *,
        pinned: bool | None = None,
        closed: bool | None = None,
    ) -> QuestionInfo:
        ensure(who, "see", Board())
        with self.c.sessions.begin() as s:
            row = self._row(s, question_id, lock=True)
            ensure(who, "moderate", QuestionThing(row.id, row.closed))
            if pinned is not None:
                row.pinned = pinned
            if closed is not None:
                if row.closed and not closed:
                    row.active_at = utcnow()  # reopened: back near the top
                row.closed = closed
            s.flush()
            return self._thread(s, row).question

    def _row(self, s: Session, question_id: int, *, lock: bool = False) -> Question:
        query = self.c.scoped(select(Question), via=Question).where(Question.id == question_id)
        row = s.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise NotFoundError(f"no question {question_id}", hint="the board lists them")
        return row

    def _thread(self, s: Session, row: Question) -> Thread:
        answers = s.scalars(
            select(Answer)
            .where(Answer.question_id == row.id)
            .options(selectinload(Answer.team))
            .order_by(Answer.id)
        ).all()
        return Thread(_question_info(row, len(answers)), [_answer_info(a) for a in answers])

    def _team_id(self, s: Session, who: Principal) -> int | None:
        return self.c.team_row(s, who.team).id if who.team is not None else None
