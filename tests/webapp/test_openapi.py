"""The OpenAPI document: served as JSON, 3.1, covering every /api/v1 route, with every $ref resolving."""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from webapp import create_app
from webapp.config import from_env

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def client(tmp_path):
    s = from_env({"CDHT_INSTANCE_PATH": str(tmp_path)})
    return create_app(s).test_client()


@pytest.fixture
def doc(client) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def openapi_path(rule: str) -> str:
    """Flask's `<name>` or `<conv:name>` as OpenAPI's `{name}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_served_as_json_and_declares_3_1(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    doc = response.get_json()
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]


def test_every_api_v1_route_and_method_is_documented(client, doc):
    missing = []
    for rule in client.application.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        item = doc["paths"].get(openapi_path(rule.rule), {})
        missing += [f"{method} {rule.rule}" for method in sorted((rule.methods or set()) - IGNORED_METHODS)
                    if method.lower() not in item]
    assert not missing, f"routes missing from the OpenAPI document: {missing}"


def test_every_documented_operation_exists(client, doc):
    routes: dict[str, set[str]] = {}
    for rule in client.application.url_map.iter_rules():
        routes.setdefault(openapi_path(rule.rule), set()).update(m.lower() for m in rule.methods or ())
    for path, item in doc["paths"].items():
        assert path in routes, f"documented path {path} has no route"
        for method in item:
            assert method in routes[path], f"documented {method.upper()} {path} has no route"
    for path in ("/healthz", "/readyz", "/verify/{code}"):
        assert "get" in doc["paths"][path]


def test_path_parameters_are_declared(doc):
    for path, item in doc["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, f"{method.upper()} {path}"


def test_every_ref_resolves(doc):
    found = list(refs(doc))
    assert found
    for ref in found:
        assert ref.startswith("#/"), ref
        node: Any = doc
        for part in ref[2:].split("/"):
            assert isinstance(node, dict) and part in node, f"unresolved $ref {ref}"
            node = node[part]


def test_security_and_error_shape(doc):
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        **doc["components"]["securitySchemes"]["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert doc["security"] == [{"bearerAuth": []}]
    error = doc["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(error["required"]) == {"code", "message", "fields", "field_codes"}
    for path, method in (("/api/v1/auth/token", "post"), ("/api/v1/citizens", "post"),
                         ("/api/v1/verify/{code}", "get")):
        assert doc["paths"][path][method]["security"] == [], path
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if operation.get("security", doc["security"]):
                assert "401" in operation["responses"], f"{method.upper()} {path}"


def test_answers_match_documented_fields(client, doc):
    schemas = doc["components"]["schemas"]  # answers that need no database rows
    assert set(client.get("/healthz").get_json()) == set(schemas["Health"]["properties"])
    bad = client.post("/api/v1/auth/token", data="nope", content_type="text/plain")
    assert bad.status_code == 400
    assert set(bad.get_json()["error"]) == set(schemas["Error"]["properties"]["error"]["properties"])


def test_document_is_a_valid_openapi_3_1_document(doc):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(doc)


def _enum_at(doc: dict[str, Any], *path: str) -> list[str]:
    node: Any = doc["components"]["schemas"]
    for key in path:
        node = node[key]
    return list(node["enum"])


def test_enums_are_the_vocabulary(doc) -> None:
    """Every enum of the document equals the Python one, member for member and in order."""
    from workflows.actors import ROLES
    from workflows.inputs import REVIEW_EVENTS
    from workflows.vocabulary import (
        ActivityKind,
        ApplicationState,
        CertificateStatus,
        Sex,
        TargetGroup,
        TitleType,
        VerificationStatus,
    )

    def values(members: Any) -> list[str]:
        return [m.value for m in members]

    expected = {
        ("Application", "properties", "state"): values(ApplicationState),
        ("Application", "properties", "title_type"): values(TitleType),
        ("Application", "properties", "target_group"): values(TargetGroup),
        ("ReviewQueue", "properties", "items", "items", "properties", "state"): values(ApplicationState),
        ("CertificateRef", "properties", "status"): values(CertificateStatus),
        ("Certificate", "properties", "status"): values(CertificateStatus),
        ("Verification", "properties", "status"): values(VerificationStatus),
        ("Token", "properties", "role"): values(ROLES),
        ("Me", "properties", "role"): values(ROLES),
        ("CitizenRegistration", "properties", "sex"): values(Sex),
        ("CitizenRegistration", "properties", "target_group"): values(TargetGroup),
        ("Citizen", "properties", "target_group"): values(TargetGroup),
        ("Activity", "properties", "kind"): values(ActivityKind),
        ("Review", "properties", "action"): values(REVIEW_EVENTS),
    }
    for path, members in expected.items():
        assert _enum_at(doc, *path) == members, path


def test_every_operation_documents_the_answers_any_request_may_get(client, doc):
    """Characters no text may hold are refused before any view (400: JSON under /api/, a page elsewhere), and the
    API answers 503 while the database is down: documented on every operation, as the fuzzing found them."""
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert "400" in operation["responses"], f"{method.upper()} {path}"
            if path.startswith("/api/"):
                assert "503" in operation["responses"], f"{method.upper()} {path}"
    api = client.get("/api/v1/criteria?q=a%00b")
    assert api.status_code == 400 and api.json["error"]["code"] == "invalid_characters"
    assert doc["paths"]["/api/v1/criteria"]["get"]["responses"]["400"] == {"$ref": "#/components/responses/BadRequest"}
    page = client.get("/healthz?q=a%00b")
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert list(doc["paths"]["/healthz"]["get"]["responses"]["400"]["content"]) == ["text/html"]
