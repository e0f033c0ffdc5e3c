"""Writes chalicelib/api/openapi.json from what is declared once: ``make openapi``.

- schemas: the request Structs of chalicelib/api/shapes.py and the response Structs of the
  chalicelib/api/answers/ package, module by module in ``ANSWER_MODULES``' order
  (``msgspec.json.schema_components``), with each Struct's ``examples``;
- operations: app.py's route table (paths, methods, operationId = the view's name), the access
  rule chalicelib/api/auth.py gives each route (security), and the words of
  devtools/openapi_prose.py (summaries, descriptions, answers by status, shared error responses);
  path parameters from the path, and the X-Operator header on /v1/admin.

``python -m devtools.openapi --check`` exits 1 when the committed document differs (as
tests/integration/test_openapi_generated.py does). Not part of the Lambda: nothing in chalicelib imports it.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import pkgutil
import re
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List

import msgspec

from chalicelib.api import answers, shapes
from chalicelib.api.auth import ADMIN_PREFIX, CUSTOMER_ROUTES, OPEN_ROUTES, ROUTE_SCOPES
from chalicelib.api.openapi import DOCUMENT_PATH
from devtools import openapi_prose as prose

REF = "#/components/schemas/{name}"
# Types that are not Structs but have a name in the document (path parameters and the
# adjustment union refer to them).
NAMED = {
    "Id": shapes.Id,
    "CurrencyCode": shapes.CurrencyCode,
    "CountryCode": shapes.CountryCode,
}
ADJUSTMENT = {"description": "Idempotent by adjustment_id.", "examples": shapes.ADJUSTMENT_EXAMPLES}
# The modules of chalicelib/api/answers/, in the order their Structs are given to msgspec: that
# order decides where the components that devtools/openapi_prose.py's SCHEMA_ORDER does not name
# come in the document, so it is fixed here rather than taken from the file system.
ANSWER_MODULES = ("common", "checkout", "customers", "support")


def structs(module: Any) -> List[type]:
    """The Structs a module declares, in the order it declares them."""
    found = [value for value in vars(module).values()
             if inspect.isclass(value) and issubclass(value, msgspec.Struct) and value.__module__ == module.__name__]
    return sorted(found, key=lambda cls: inspect.getsourcelines(cls)[1])


def answer_modules() -> List[Any]:
    """The modules of the answers package in ``ANSWER_MODULES``' order; refuses a module that is
    in one and not the other, so that no response Struct is left out of the document."""
    present = {info.name for info in pkgutil.iter_modules(answers.__path__)}
    if present != set(ANSWER_MODULES):
        raise SystemExit(f"devtools/openapi.py's ANSWER_MODULES and chalicelib/api/answers/ disagree: "
                         f"modules not listed {sorted(present - set(ANSWER_MODULES))}, "
                         f"listed but missing {sorted(set(ANSWER_MODULES) - present)}")
    return [importlib.import_module(f"{answers.__name__}.{name}") for name in ANSWER_MODULES]


def schemas() -> Dict[str, Any]:
    """Every named schema: the Structs' (with their examples) and the named plain types."""
    declared = structs(shapes) + [cls for module in answer_modules() for cls in structs(module)]
    _, components = msgspec.json.schema_components(declared + [shapes.AdjustmentRequest], ref_template=REF)
    for cls in declared:
        examples = cls.__dict__.get("examples")
        if examples is not None:
            components[cls.__name__]["examples"] = examples
    for name, kind in NAMED.items():
        components[name] = msgspec.json.schema(kind)
    (union,), _ = msgspec.json.schema_components([shapes.AdjustmentRequest], ref_template=REF)
    components["AdjustmentRequest"] = {**union, **ADJUSTMENT}
    for schema in components.values():
        schema.pop("title", None)  # the component's name says it
        if "description" in schema:  # a docstring: its line breaks are the source's, not the prose's
            schema["description"] = " ".join(schema["description"].split())
    return dict(sorted(components.items(), key=lambda item: _order(item[0])))


def _order(name: str) -> int:
    """Components in the order the hand-written document had them, new ones after."""
    known = list(prose.SCHEMA_ORDER)
    return known.index(name) if name in known else len(known)


def security(path: str, method: str) -> List[Dict[str, List[str]]]:
    """The access rule of chalicelib/api/auth.py for a route, as OpenAPI security."""
    if (path, method) in OPEN_ROUTES:
        return []
    if path.startswith(ADMIN_PREFIX):
        return [{"sigv4": []}]
    if (path, method) in CUSTOMER_ROUTES:
        return [{"bearer": ["customer"]}]
    return [{"bearer": [ROUTE_SCOPES[(path, method)]]}]


def paths(routes: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    """Each route of the app with its words, id, security and parameters; refuses a route
    without words and words without a route."""
    documented, served = set(prose.OPERATIONS), {(path, method) for path, methods in routes.items() for method in methods}
    if documented != served:
        raise SystemExit(f"devtools/openapi_prose.py and app.py disagree: routes without words "
                         f"{sorted(served - documented)}, words without a route {sorted(documented - served)}")
    document: Dict[str, Any] = {}
    for (path, method), words in prose.OPERATIONS.items():
        if path not in document:
            document[path] = {}
            parameters = [{"name": name, "in": "path", "required": True, "description": prose.PATH_PARAMETERS[name],
                           "schema": {"$ref": REF.format(name="Id")}} for name in re.findall(r"{([^}]+)}", path)]
            if path.startswith(ADMIN_PREFIX):
                parameters.append(prose.OPERATOR_HEADER)
            if parameters:
                document[path]["parameters"] = parameters
        document[path][method.lower()] = operation(routes[path][method].view_name, words, security(path, method))
    return document


def operation(view_name: str, words: Dict[str, Any], access: List[Dict[str, List[str]]]) -> Dict[str, Any]:
    """One operation object from its words (devtools/openapi_prose.py)."""
    built: Dict[str, Any] = {"operationId": view_name, "tags": [words["tag"]], "summary": words["summary"]}
    if "description" in words:
        built["description"] = words["description"]
    built["security"] = access
    if "parameters" in words:
        built["parameters"] = words["parameters"]
    if "body" in words:
        built["requestBody"] = {"required": True, "content": _json(words["body"])}
    answers = {status: {"description": description, "content": _json(schema)}
               for status, (description, schema) in words["answers"].items()}
    errors = {status: {"$ref": f"#/components/responses/{prose.ERRORS[status]}"} for status in words["errors"].split()}
    built["responses"] = dict(sorted({**answers, **errors}.items()))
    return built


def _json(schema: Any) -> Dict[str, Any]:
    """A JSON body of a named schema (a Struct's name) or an inline one."""
    return {"application/json": {"schema": {"$ref": REF.format(name=schema)} if isinstance(schema, str) else schema}}


def document() -> Dict[str, Any]:
    from app import app  # the route table (importing app.py builds it; nothing runs)

    built = {
        "openapi": "3.1.0",
        "info": prose.INFO,
        "tags": prose.TAGS,
        "security": [],
        "paths": paths(app.routes),
        "components": {
            "securitySchemes": prose.SECURITY_SCHEMES,
            "schemas": schemas(),
            "responses": prose.RESPONSES,
        },
    }
    _check_references(built)
    return built


def _check_references(built: Dict[str, Any]) -> None:
    text = json.dumps(built)
    missing = sorted({name for kind, name in re.findall(r'"#/components/(schemas|responses)/([^"]+)"', text)
                      if name not in built["components"][kind]})
    if missing:
        raise SystemExit(f"the document refers to what nobody declared: {missing}")


def render(built: Dict[str, Any]) -> str:
    return json.dumps(built, indent=2, ensure_ascii=False) + "\n"


def main(argv: Iterable[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed document is stale")
    args = parser.parse_args(list(argv))
    text = render(document())
    if args.check:
        if DOCUMENT_PATH.read_text(encoding="utf-8") != text:
            print(f"{DOCUMENT_PATH} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    DOCUMENT_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
