"""schemathesis against /openapi.json: generated requests never make the server answer 5xx, and
no answer contradicts the spec (status codes, content types, bodies).

One check is left out: ``positive_data_acceptance`` expects every schema-valid body to succeed,
but some refusals depend on data no schema can express (a village that does not exist, a month
in the future, 31 November); those correctly answer 422, which the spec documents.
(schemathesis' own pytest plugin does not run under pytest 9, so the operations' strategies are
driven here with hypothesis directly.)
"""

from __future__ import annotations

import schemathesis
from conftest import petition
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import load_all_checks

from casework.intake import receive
from casework.users import create_token

load_all_checks()
LEFT_OUT = [check for check in schemathesis.checks.CHECKS.get_all()
            if check.__name__ == "positive_data_acceptance"]


def test_generated_requests_never_fail_the_server_nor_the_spec(app, cw, people):
    # A case to find, so that paths with a case number are not all 404s.
    receive(cw, people["operator"], petition())
    token = create_token(cw, people["county_officer"].username)
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=headers, excluded_checks=LEFT_OUT)

        check()
