"""Schemathesis against the live OpenAPI document: every documented operation, generated inputs."""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings

from tests.factories import api_client, auth


def test_every_operation_conforms(app: Flask, db_session: Any) -> None:
    # schemathesis.pytest.from_fixture does not run under pytest 9, so each operation's hypothesis
    # strategy is driven here; the operator key (all roles) lets generated requests reach the views.
    _, token = api_client("operator", "institution", "learner", "verifier", "union")
    headers = auth(token)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers)

        check()
