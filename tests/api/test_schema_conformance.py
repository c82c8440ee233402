"""Item 12: schemathesis generates requests from the live OpenAPI schema and checks every answer against
it (a documented status code, the documented content type, headers and body schema, no server error),
for an anonymous caller and for a bidder's API token. It must find nothing.

In-process through the WSGI application (same middleware as daphne's ASGI one), in the test's database.
Bounded and derandomized: a few examples per operation, the same ones every run."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
EXAMPLES = 6  # per operation and kind of input
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE


@pytest.fixture
def api_schema(published_tender, platform_pki):
    """The schema the running application serves, with data behind it (a published tender, the PKI)."""
    # As Django's test client does: a request must not close the test's connection (its transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _takes_input(operation):
    # schemathesis also turns the declared security schemes into headers: those are not the operation's input
    headers = [h for h in operation.headers if "x-original-security-type" not in h.definition]
    return any(len(group) for group in (operation.path_parameters, operation.query, headers, operation.body))


def _conforms(operation, headers, mode, **fixed):
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def conforms(case):
        # https: whatever DEBUG says, the platform may redirect plain HTTP.
        case.call_and_validate(base_url="https://localhost", headers=headers, checks=CHECKS)

    conforms()


def _check_every_operation(api_schema, headers, tender):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        _conforms(operation, headers, POSITIVE)
        if _takes_input(operation):  # an operation that reads nothing has no invalid input
            _conforms(operation, headers, NEGATIVE)
        if operation.path.startswith("/api/tenders/{id}/"):  # random ids miss: also the tender that exists
            _conforms(operation, headers, POSITIVE, path_parameters={"id": tender.pk})


def test_anonymous_answers_conform_to_the_schema(api_schema, published_tender):
    _check_every_operation(api_schema, {}, published_tender)


def test_a_bidders_answers_conform_to_the_schema(api_schema, published_tender, bidder_token):
    _check_every_operation(api_schema, {"Authorization": f"Token {bidder_token}"}, published_tender)
