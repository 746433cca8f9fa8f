"""schemathesis against the OpenAPI document, in-process over the ASGI app and a seeded store.

Each operation gets generated requests, valid ones and invalid ones; every response must match
the documented status codes, content types and schemas, and no request may cause a server
error. Examples are bounded to keep this fast.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.web.seed import TA1

OPERATIONS = ["/api/status", "/api/events", "/api/substances/{substance_id}/events", "/api/targets", "/healthz"]
WITH_PARAMETERS = {"/api/events", "/api/substances/{substance_id}/events"}


def test_every_operation_is_covered(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    assert sorted(op.ok().path for op in schema.get_all_operations()) == sorted(OPERATIONS)


# Valid requests for every operation; invalid ones where there is a parameter to get wrong.
CASES = [(path, GenerationMode.POSITIVE) for path in OPERATIONS] + [
    (path, GenerationMode.NEGATIVE) for path in OPERATIONS if path in WITH_PARAMETERS]


@pytest.mark.parametrize(("path", "mode"), CASES, ids=[f"{p} {m.value}" for p, m in CASES])
def test_operation_conforms_to_its_schema(app: FastAPI, path: str, mode: GenerationMode) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)[path]["GET"]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=25, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate()

    check()


def test_substance_events_of_a_watched_substance_conform(app: FastAPI) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)["/api/substances/{substance_id}/events"]["GET"]

    @given(case=operation.as_strategy(path_parameters={"substance_id": TA1}))
    @settings(max_examples=15, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    def check(case: schemathesis.Case) -> None:
        response = case.call_and_validate()
        assert response.status_code in (200, 422)

    check()
