"""schemathesis drives every operation of the OpenAPI schema against a real uvicorn over real snapshots:
no answer is a 5xx, and every answer matches the schema (status code, content type, body, headers).

The home is test_api_reads' (simulated history, an alert, a silence, published snapshots). The stream
routes never end, so they are left to test_api_stream. `positive_data_acceptance` is not asked for: the
schema cannot say that a cursor must be one the service issued or that a metrics range must hold at
most 1,000 points, so it would call those intended 422s failures.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api_support import ADMIN_SECRET
from test_api_reads import Built, built  # noqa: F401  (the module-wide home, built once here too)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance,
          response_headers_conformance]  # fmt: skip


def test_every_operation_answers_within_its_schema_and_never_with_a_server_error(built: Built):  # noqa: F811
    schema = schemathesis.openapi.from_url(f"{built.api.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path not in ("/v1/stream", "/v1/ws")]
    assert len(operations) > 30
    headers = {"Authorization": f"Bearer {ADMIN_SECRET}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def answers_within_schema(case) -> None:
            case.call_and_validate(base_url=built.api.url, headers=headers, checks=CHECKS, timeout=30)

        answers_within_schema()
