"""Schemathesis against the live app's /openapi.json: every operation, with valid and
invalid input, as anonymous, a team and an organizer, on a store holding a scored run (so
that known ids and names are reached too), on SQLite and PostgreSQL. No request may get a 5xx.
A third pass puts a NUL (and, in JSON bodies, a lone surrogate) into every string of valid
requests: each is refused with a 4xx before the store sees it."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from .conftest import Cup, bearer
from .test_intake import honest_upload_is_scored

EXAMPLES = 8  # per operation and pass; every example is sent in all three roles
KNOWN = {"team": "Quick Lex", "name": "evaluation", "submission_id": 1, "run_id": 1}
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
HOSTILE = settings(FUZZ, max_examples=3)  # per operation; every string of each is hostile


def test_no_operation_answers_5xx_to_anyone(cup: Cup, live: str) -> None:
    with httpx.Client(base_url=live) as client:
        honest_upload_is_scored(cup, client)  # submission 1, run 1, a leaderboard row
        document = client.get("/openapi.json").json()
    schema = schemathesis.openapi.from_url(live + "/openapi.json")
    roles = {"anonymous": {}, "team": bearer(cup.lex), "organizer": bearer(cup.organizer)}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(methods) for methods in document["paths"].values())
    seen: Counter[int] = Counter()
    failures: list[str] = []
    for operation in operations:
        known = {k: KNOWN[k] for k in re.findall(r"{(\w+)}", operation.path) if k in KNOWN}
        passes = [(GenerationMode.POSITIVE, None), (GenerationMode.NEGATIVE, None)]
        passes += [(GenerationMode.POSITIVE, known)] if known else []
        _send_hostile(operation, known or None, live, roles, seen, failures)
        for mode, path_parameters in passes:

            @FUZZ
            @given(case=operation.as_strategy(mode, path_parameters=path_parameters))
            def send(case: schemathesis.Case) -> None:
                for role, headers in roles.items():
                    response = case.call(base_url=live, headers=headers)
                    seen[response.status_code] += 1
                    if response.status_code >= 500:
                        failures.append(f"{role}: {case.as_curl_command()} -> {response.text}")

            try:
                send()
            except Unsatisfiable:  # nothing to make invalid: no parameters, no body
                assert mode == GenerationMode.NEGATIVE, operation.label
    assert failures == []
    assert seen[400], seen  # the hostile pass was refused at the edge
    assert seen[200] and seen[201] + seen[400] + seen[422] and seen[401] and seen[403], seen


def _send_hostile(
    operation: Any,
    known: dict[str, Any] | None,
    live: str,
    roles: dict[str, dict[str, str]],
    seen: Counter[int],
    failures: list[str],
) -> None:
    """Valid requests with a NUL in every string (and a JSON body with a lone surrogate in
    every string, sent as JSON escapes): 4xx, never 5xx; a request with no string at all is
    simply served."""
    valid = operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known)

    @HOSTILE
    @given(case=valid)
    def send(case: schemathesis.Case) -> None:
        surrogates = None
        if "json" in (case.media_type or "") and isinstance(case.body, dict | list | str):
            surrogates = (case.method, case.formatted_path, dict(case.query or {}),
                          json.dumps(_poison(case.body, "\ud800")))  # fmt: skip
        poisoned = _poison_case(case, "\x00")
        for role, headers in roles.items():
            response = case.call(base_url=live, headers=headers)
            _check(
                response.status_code, poisoned, f"{role}: {case.as_curl_command()}", seen, failures
            )
            if surrogates is not None:
                method, path, query, body = surrogates
                response = httpx.request(method, live + path, params=query, content=body,
                                         headers={**headers, "content-type": "application/json"})  # fmt: skip
                _check(
                    response.status_code, True, f"{role}: {method} {path} {body}", seen, failures
                )

    send()


def _check(status: int, poisoned: bool, what: str, seen: Counter[int], failures: list[str]) -> None:
    seen[status] += 1
    if status >= 500 or (poisoned and status < 400):
        failures.append(f"{what} -> {status}")


def _poison_case(case: schemathesis.Case, char: str) -> bool:
    """Put `char` into every string of the case's path, query and body; whether any was."""
    before = repr((case.path_parameters, case.query, case.body))
    case.path_parameters = {k: _poison(v, char) for k, v in (case.path_parameters or {}).items()}
    case.query = {k: _poison(v, char) for k, v in (case.query or {}).items()}
    if isinstance(case.body, dict | list | str):
        case.body = _poison(case.body, char)
    return repr((case.path_parameters, case.query, case.body)) != before


def _poison(value: Any, char: str) -> Any:
    if isinstance(value, str):
        return value[:1] + char + value[1:]
    if isinstance(value, dict):
        return {_poison(k, char): _poison(v, char) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, char) for v in value]
    return value
