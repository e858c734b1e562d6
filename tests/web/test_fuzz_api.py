"""Schemathesis against the live app's /openapi.json: every operation, with valid and
invalid input, as anonymous, a team and an organizer, on a store holding a scored run (so
that known ids and names are reached too). No request may get a 5xx."""

from __future__ import annotations

import re
from collections import Counter

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
    assert seen[200] and seen[201] + seen[400] + seen[422] and seen[401] and seen[403], seen
