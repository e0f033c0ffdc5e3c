"""The OpenAPI document (chalicelib/api/openapi.json) is valid OpenAPI 3.1, describes exactly
the app's routes with the access rule chalicelib/api/auth.py gives each, and is served at
``GET /v1/openapi.json``."""
import json
import re

import jsonschema_rs
import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from app import app
from chalicelib.api.auth import ADMIN_PREFIX, CUSTOMER_ROUTES, OPEN_ROUTES, ROUTE_SCOPES
from chalicelib.api.openapi import DOCUMENT_PATH

DOCUMENT = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
ROUTES = sorted((path, method) for path, methods in app.routes.items() for method in methods)
OPERATIONS = sorted((path, method.upper()) for path, item in DOCUMENT["paths"].items()
                    for method in item if method in HTTP_METHODS)


def _operation(path, method):
    return DOCUMENT["paths"][path][method.lower()]


def _schemas(node):
    """Every JSON Schema in the document (components and inline), to check each on its own."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema":
                yield value
            elif key == "schemas" and isinstance(value, dict):
                yield from value.values()
            yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def test_the_document_is_valid_openapi_3_1():
    assert DOCUMENT["openapi"].startswith("3.1.")
    OPENAPI_31_VALIDATOR.validate(DOCUMENT)  # the OpenAPI 3.1 meta-schema schemathesis ships
    for schema in _schemas(DOCUMENT):  # each schema against JSON Schema 2020-12, OpenAPI 3.1's dialect
        jsonschema_rs.meta.validate(schema)


def test_every_reference_resolves():
    references = set(re.findall(r'"\$ref": "#/([^"]+)"', DOCUMENT_PATH.read_text(encoding="utf-8")))
    for reference in references:
        node = DOCUMENT
        for part in reference.split("/"):
            assert part in node, f"#/{reference} does not resolve"
            node = node[part]


def test_every_route_is_documented_and_nothing_else():
    assert OPERATIONS == ROUTES


@pytest.mark.parametrize("path, method", ROUTES)
def test_each_operation_id_is_the_name_of_its_view_function(path, method):
    assert _operation(path, method)["operationId"] == app.routes[path][method].view_name


@pytest.mark.parametrize("path, method", ROUTES)
def test_path_parameters_match_the_route(path, method):
    item = DOCUMENT["paths"][path]
    parameters = item.get("parameters", []) + _operation(path, method).get("parameters", [])
    declared = sorted(p["name"] for p in parameters if p["in"] == "path")
    assert declared == sorted(re.findall(r"{([^}]+)}", path))
    assert all(p["required"] for p in parameters if p["in"] == "path")


@pytest.mark.parametrize("path, method", ROUTES)
def test_each_operation_names_the_access_rule_of_auth_py(path, method):
    security = _operation(path, method).get("security", DOCUMENT.get("security", []))
    if (path, method) in OPEN_ROUTES:
        assert security == []
    elif path.startswith(ADMIN_PREFIX):
        assert security == [{"sigv4": []}]
    elif (path, method) in CUSTOMER_ROUTES:
        assert security == [{"bearer": ["customer"]}]
    else:
        assert security == [{"bearer": [ROUTE_SCOPES[(path, method)]]}]


@pytest.mark.parametrize("path, method", ROUTES)
def test_every_error_response_of_the_api_uses_the_error_shape(path, method):
    responses = _operation(path, method)["responses"]
    assert any(status.startswith("2") for status in responses)
    error = {"$ref": "#/components/schemas/Error"}
    for status, response in responses.items():
        if status.startswith("2") or (path, method, status) == ("/v1/health", "GET", "503"):
            continue  # health answers 503 with its report
        if "$ref" in response:
            response = DOCUMENT["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        # API Gateway's own 401 and 403 too: its gateway responses, and chalice local under `make run`.
        assert response["content"]["application/json"]["schema"] == error, status
    if "requestBody" in _operation(path, method):
        assert {"400", "413", "415"} <= set(responses)


def test_the_document_is_served_without_credentials(raw_client):
    response = raw_client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == DOCUMENT
