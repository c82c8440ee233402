"""Item 12: the OpenAPI schema says what the API does: token authentication, the public certificate
list, the keys list as a plain array, and the errors (one shape, with a stable `code`) of each operation."""

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

from tests.factories import register_bidder_keys

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_the_schema_generates_without_warnings_and_is_valid_openapi(db, tmp_path, capsys):
    GENERATOR_STATS.reset()  # warnings are counted once per process: count this generation's
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yml"))
    assert "Warning" not in capsys.readouterr().err
    assert (tmp_path / "schema.yml").stat().st_size > 10_000


def test_token_authentication_is_declared(schema):
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "A personal API token (made on the 密钥与令牌 page), sent as `Token <token>` "
                       "(what tools/bidder.py sends) or `Bearer <token>`.",
    }
    operations = dict(_operations(schema))
    assert operations["POST /api/uploads/"]["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]
    assert operations["GET /api/tenders/"]["security"] == [{"tokenAuth": []}, {"cookieAuth": []}, {}]
    # A token cannot mint tokens: only a browser session manages them.
    assert operations["POST /api/tokens/"]["security"] == [{"cookieAuth": []}]


def test_the_public_certificate_list_needs_no_login(schema, client, platform_pki):
    operation = schema["paths"]["/api/pki/certificates/"]["get"]
    assert operation["security"] == [{}]
    assert sorted(operation["responses"]) == ["200", "404"]
    # Not even a stale token makes it refuse.
    response = client.get("/api/pki/certificates/", HTTP_AUTHORIZATION="Token bzt_revoked")
    assert response.status_code == 200
    assert response.json()["ca"].startswith("-----BEGIN CERTIFICATE-----")


def test_the_keys_list_is_described_and_served_as_a_plain_array(schema, client, bidder_token, bidder):
    operation = schema["paths"]["/api/keys/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array", "items": {"$ref": "#/components/schemas/PublicKey"}}
    assert [p["name"] for p in operation.get("parameters", [])] == []
    register_bidder_keys(bidder)
    body = client.get("/api/keys/", HTTP_AUTHORIZATION=f"Token {bidder_token}").json()
    assert sorted(key["purpose"] for key in body) == ["bid_encryption", "bid_signing"]
    assert "pem" not in body[0]  # write-only: the schema's response component does not list it either
    assert "pem" not in schema["components"]["schemas"]["PublicKey"]["properties"]


def test_every_operation_documents_its_errors_in_one_shape(schema):
    assert schema["components"]["schemas"]["Error"]["required"] == ["code"]
    for label, operation in _operations(schema):
        errors = {code: response for code, response in operation["responses"].items() if code.startswith("4")}
        assert errors, label
        for code, response in errors.items():
            assert response["content"] == {"application/json": {"schema": ERROR_REF}}, (label, code)
        if operation.get("security") != [{}]:
            assert {"401", "403"} & set(errors), label  # who may not: said before anything else


@pytest.mark.parametrize(("label", "errors"), [
    ("GET /api/keys/", ["401"]),
    ("GET /api/tokens/", ["403"]),
    ("GET /api/tenders/", ["400", "401", "404"]),
    ("GET /api/tenders/{id}/", ["400", "401", "404"]),
    ("GET /api/bids/", ["400", "401", "404"]),
    ("GET /api/bids/{id}/", ["400", "401", "403", "404"]),
    ("POST /api/tenders/{id}/submit/", ["400", "401", "403", "404", "409"]),
    ("POST /api/projects/", ["400", "401", "403"]),
    ("POST /api/uploads/", ["400", "401", "403", "404", "409", "413"]),
    ("DELETE /api/tokens/{id}/", ["400", "403", "404"]),
])
def test_the_errors_an_operation_can_answer(schema, label, errors):
    operation = dict(_operations(schema))[label]
    assert sorted(code for code in operation["responses"] if code.startswith("4")) == errors


def test_ids_are_described_with_their_range(schema):
    bound = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/bids/"]["get"]["parameters"]}
    assert parameters == {"page": bound, "tender": bound}
    (tender_id,) = schema["paths"]["/api/tenders/{id}/"]["get"]["parameters"]
    assert tender_id["schema"] == bound
    upload_id = schema["paths"]["/api/uploads/{id}/"]["get"]["parameters"][0]
    assert upload_id["schema"] == {"type": "string", "format": "uuid"}


def test_posts_that_create_are_documented_with_the_201_they_answer(schema):
    for label in ["POST /api/tenders/{id}/documents/", "POST /api/tenders/{id}/amendments/",
                  "POST /api/tenders/{id}/objections/", "POST /api/tenders/", "POST /api/uploads/"]:
        codes = dict(_operations(schema))[label]["responses"]
        assert "201" in codes and "200" not in codes, label
