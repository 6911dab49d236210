"""schemathesis against /openapi.json: generated requests never make the server answer 5xx, and
no answer contradicts the spec (status codes, content types, bodies).

One check is left out: ``positive_data_acceptance`` expects every schema-valid body to succeed,
but some refusals depend on data no schema can express (a village that does not exist, a month
in the future, 31 November); those correctly answer 422, which the spec documents.
(schemathesis' own pytest plugin does not run under pytest 9, so the operations' strategies are
driven here with hypothesis directly.)
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter

import schemathesis
from conftest import VILLAGE_A1, petition
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import load_all_checks

from casework.lifecycle.intake import receive
from casework.people.users import create_token

load_all_checks()
LONG = os.environ.get("CASEWORK_LONG_TESTS", "").strip() not in ("", "0")
TWELVE_DIGITS = re.compile("[0-9]{12}")  # the CaseCreate schema's village_code
LEFT_OUT = [check for check in schemathesis.checks.CHECKS.get_all()
            if check.__name__ == "positive_data_acceptance"]


# Schemathesis's WSGI transport asks for gzip but does not unpack what comes back, which a real
# client (requests, a browser) does: the answers are read plain here, and their compression
# has its own tests (test_compression_and_caching.py).
PLAIN = {"Accept-Encoding": "identity"}


def test_generated_requests_never_fail_the_server_nor_the_spec(app, cw, people):
    # A case to find, so that paths with a case number are not all 404s.
    receive(cw, people["operator"], petition())
    token = create_token(cw, people["county_officer"].username)
    headers = {"Authorization": f"Bearer {token}", **PLAIN}
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

    answers: Counter = Counter()
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=400 if LONG else 40, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call_and_validate(headers=headers, excluded_checks=LEFT_OUT)
            answers[response.status_code] += 1

        check()
    requests = sum(answers.values())
    print(f"\nschemathesis-operations: {requests} requests, "
          f"{sum(n for code, n in answers.items() if code >= 500)} answered 5xx")


def test_stateful_sequences_along_the_links_never_fail_the_server_nor_the_spec(
        app, cw, people, tmp_path):
    """Intake -> read -> act -> act ..., following the OpenAPI links of /openapi.json with the
    number and version each answer gives, so that actions reach real cases at their real
    versions instead of 404s and stale 409s."""
    receive(cw, people["operator"], petition())
    operator = {"Authorization": f"Bearer {create_token(cw, people['operator'].username)}",
                **PLAIN}
    # A cadre of the village the petitions come from: the one who accepts, resolves, escalates.
    cadre = {"Authorization": f"Bearer {create_token(cw, people['village_a1'].username)}",
             **PLAIN}
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    answers: Counter = Counter()
    linked: Counter = Counter()

    class Federation(schema.as_state_machine()):
        def before_call(self, case):
            # A real village, so that generated petitions are taken in and the links lead to
            # real cases (a random 12-digit code is almost never one).
            # Only where the generated code is already valid: a deliberately broken one (a
            # negative case) must stay broken, or its 201 would rightly count as a failure.
            if case.operation.label == "POST /api/v1/cases" and isinstance(case.body, dict) \
                    and TWELVE_DIGITS.fullmatch(str(case.body.get("village_code"))):
                case.body["village_code"] = VILLAGE_A1

        def get_call_kwargs(self, case):
            acting = case.operation.label == "POST /api/v1/cases/{number}/actions"
            return {"headers": cadre if acting else operator}

        def after_call(self, response, case):
            answers[response.status_code] += 1
            if case.operation.label != "POST /api/v1/cases" and response.status_code < 300:
                linked[case.operation.label] += 1
            super().after_call(response, case)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, excluded_checks=LEFT_OUT, transport_kwargs=kwargs,
                                   headers=kwargs.get("headers"))

    Federation.run(settings=settings(
        max_examples=300 if LONG else 40, stateful_step_count=8, deadline=None,
        database=None, suppress_health_check=list(HealthCheck)))
    figures = {"requests": sum(answers.values()),
               "server_errors": sum(n for code, n in answers.items() if code >= 500),
               "by_status": {str(code): n for code, n in sorted(answers.items())},
               "succeeded_along_links": dict(linked)}
    (tmp_path / "schemathesis-stateful.json").write_text(json.dumps(figures, indent=2))
    print(f"\nschemathesis-stateful: {json.dumps(figures)}")
    assert figures["server_errors"] == 0
    assert answers[201] > 0, "no petition was ever taken in: the links were never followed"
    assert linked["POST /api/v1/cases/{number}/actions"] > 0
