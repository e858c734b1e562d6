"""The question board on the website and in the API: the same service calls, as JSON for
scripts and as pages with forms (CSRF-checked by the app's guard before any route runs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict

from podium.core.errors import InputError
from podium.rules.access import Principal, Question, allowed
from podium.service.questions import BODY_CHARACTERS, TITLE_CHARACTERS
from podium.web.deps import BoardReader, BoardReaderPage, Id, SignedIn, page_context, podium_of

api = APIRouter(prefix="/api/questions", tags=["questions"])
pages = APIRouter(prefix="/questions", include_in_schema=False)


class Ask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    body: str
    anonymous: bool = False


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str


class Pin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pinned: bool = True


class Close(BaseModel):
    model_config = ConfigDict(extra="forbid")
    closed: bool = True


# -- the API ------------------------------------------------------------------------------------


@api.get("")
def board(request: Request, _: BoardReader) -> list[dict[str, Any]]:
    """Pinned first, then the most recently active; anonymous askers are "a team"."""
    return [q.to_dict() for q in podium_of(request).questions.board()]


@api.post("", status_code=201)
def ask(request: Request, who: SignedIn, question: Ask) -> dict[str, Any]:
    """Ask (`anonymous`: shown as "a team", for teams). Markdown; title 1–200 characters,
    body 1–10,000."""
    asked = podium_of(request).questions.ask(
        who, question.title, question.body, anonymous=question.anonymous
    )
    return {**asked.to_dict(), "url": f"/api/questions/{asked.id}"}


@api.get("/{question_id}")
def thread(request: Request, _: BoardReader, question_id: Id) -> dict[str, Any]:
    return podium_of(request).questions.thread(question_id).to_dict()


@api.post("/{question_id}/answers", status_code=201)
def answer(request: Request, who: SignedIn, question_id: Id, reply: Reply) -> dict[str, Any]:
    """Answer an open question (409 when it is closed)."""
    return podium_of(request).questions.answer(who, question_id, reply.body).to_dict()


@api.post("/{question_id}/pin")
def pin(
    request: Request, who: SignedIn, question_id: Id, body: Pin | None = None
) -> dict[str, Any]:
    """Pin (`{"pinned": false}` unpins); organizers."""
    pinned = (body or Pin()).pinned
    return podium_of(request).questions.pin(who, question_id, pinned).to_dict()


@api.post("/{question_id}/close")
def close(
    request: Request, who: SignedIn, question_id: Id, body: Close | None = None
) -> dict[str, Any]:
    """Close (`{"closed": false}` reopens); organizers."""
    closed = (body or Close()).closed
    return podium_of(request).questions.close(who, question_id, closed).to_dict()


# -- the pages ----------------------------------------------------------------------------------


def _render(
    request: Request, name: str, who: Principal, status: int = 200, **values: Any
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    context = page_context(
        request, who, title_limit=TITLE_CHARACTERS, body_limit=BODY_CHARACTERS, **values
    )
    return templates.TemplateResponse(request, name, context, status_code=status)


def _board_page(request: Request, who: Principal, status: int = 200, **form: Any) -> Response:
    questions = podium_of(request).questions.board()
    return _render(request, "questions.html", who, status, questions=questions, form=form)


def _thread_page(
    request: Request, who: Principal, question_id: int, status: int = 200, **form: Any
) -> Response:
    thread = podium_of(request).questions.thread(question_id)
    may_answer = allowed(who, "answer", Question(question_id, thread.question.closed))
    return _render(
        request, "question.html", who, status, thread=thread, form=form, may_answer=may_answer,
        may_moderate=allowed(who, "moderate", Question(question_id, thread.question.closed)),
    )  # fmt: skip


@pages.get("")
def board_page(request: Request, who: BoardReaderPage) -> Response:
    return _board_page(request, who)


@pages.post("")
def ask_page(
    request: Request,
    who: SignedIn,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    anonymous: Annotated[bool, Form()] = False,
) -> Response:
    """The ask form; a refused text comes back in the form with the reason (422)."""
    try:
        asked = podium_of(request).questions.ask(who, title, body, anonymous=anonymous)
    except InputError as err:
        form = {"title": title, "body": body, "anonymous": anonymous, "error": err.message}
        return _board_page(request, who, 422, **form)
    return RedirectResponse(f"/questions/{asked.id}", status_code=303)


@pages.get("/{question_id}")
def thread_page(request: Request, who: BoardReaderPage, question_id: Id) -> Response:
    return _thread_page(request, who, question_id)


@pages.post("/{question_id}/answers")
def answer_page(
    request: Request, who: SignedIn, question_id: Id, body: Annotated[str, Form()] = ""
) -> Response:
    try:
        answered = podium_of(request).questions.answer(who, question_id, body)
    except InputError as err:
        return _thread_page(request, who, question_id, 422, body=body, error=err.message)
    return RedirectResponse(f"/questions/{question_id}#answer-{answered.id}", status_code=303)


@pages.post("/{question_id}/pin")
def pin_page(
    request: Request, who: SignedIn, question_id: Id, pinned: Annotated[bool, Form()] = True
) -> RedirectResponse:
    podium_of(request).questions.pin(who, question_id, pinned)
    return RedirectResponse(f"/questions/{question_id}", status_code=303)


@pages.post("/{question_id}/close")
def close_page(
    request: Request, who: SignedIn, question_id: Id, closed: Annotated[bool, Form()] = True
) -> RedirectResponse:
    podium_of(request).questions.close(who, question_id, closed)
    return RedirectResponse(f"/questions/{question_id}", status_code=303)
