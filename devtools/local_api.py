"""``chalice local`` with API Gateway's answers in the API's error shape, as deployed.

In AWS, the errors API Gateway answers itself (no such route, no credential, a credential
refused) are mapped to ``{"error": {"code", "message", "details"}}`` by the gateway responses
in ``infra/resources.json``. ``chalice local`` answers them in its own shapes (``{"Message"}``,
``{"message": "Unauthorized"}``, a 403 for an unknown route that repeats the caller's
Authorization header). This server is ``chalice local`` with those answers replaced:

    unknown method and path              404 not_found      (MISSING_AUTHENTICATION_TOKEN)
    no Authorization header              401 unauthorized   (UNAUTHORIZED)
    a credential refused, or no scope    403 forbidden      (ACCESS_DENIED)
    the authorizer failed                500 authorizer_failure

No message ever repeats a credential. Run by ``make run``:

    python -m devtools.local_api --port 8000 [--host 127.0.0.1] [--stage local]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any, Dict, Tuple

from chalice import local as chalice_local

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NO_ROUTE = ("not_found", "no route has this method and path, or the route needs a SigV4-signed "
            "request (every /v1/admin route, in deployed stages)")
UNAUTHORIZED = ("unauthorized", "Unauthorized: send Authorization: Bearer <storefront API key or "
                "customer token>")
FORBIDDEN = ("forbidden", "User is not authorized to access this resource: the credential is unknown, "
             "revoked or expired, or lacks this route's scope")
AUTHORIZER_FAILURE = ("authorizer_failure", "the authorizer could not check the credential; try again")


def gateway_answer(error: chalice_local.LocalGatewayException) -> Tuple[int, str, str]:
    """(status, code, message) API Gateway answers, through our gateway responses, for ``error``."""
    if isinstance(error, chalice_local.NotAuthorizedError):
        return (401, *UNAUTHORIZED)
    if isinstance(error, chalice_local.ForbiddenError):
        # chalice local raises ForbiddenError for "no such route" too, marked UnauthorizedException.
        if error.headers.get("x-amzn-ErrorType") == "UnauthorizedException":
            return (404, *NO_ROUTE)
        return (403, *FORBIDDEN)
    return (500, *AUTHORIZER_FAILURE)


def error_document(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": []}}).encode("utf-8")


def shaped_error(status: int, code: str, message: str, request_id: str = "") -> Tuple[int, Dict[str, Any], bytes]:
    """(status, headers, body) of a gateway error in the API's error shape."""
    headers: Dict[str, Any] = {"Content-Type": "application/json"}
    if request_id:
        headers["x-amzn-RequestId"] = request_id
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return status, headers, error_document(code, message)


def shaped_gateway_error(error: chalice_local.LocalGatewayException) -> Tuple[int, Dict[str, Any], bytes]:
    """What API Gateway, with our gateway responses, answers where chalice raised ``error``
    (also used by the tests' Chalice test client, so every suite sees the deployed answers)."""
    return shaped_error(*gateway_answer(error), request_id=str(error.headers.get("x-amzn-RequestId", "")))


class ShapedErrorsHandler(chalice_local.ChaliceRequestHandler):
    """chalice local's request handler, answering gateway errors in the API's error shape."""

    def _generic_handle(self) -> None:
        try:
            super()._generic_handle()
        except Exception:  # an authorizer that raised: API Gateway answers AUTHORIZER_FAILURE (500)
            logging.getLogger("devtools.local_api").exception("the authorizer raised")
            self._send_shaped(500, *AUTHORIZER_FAILURE, request_id="")

    def _send_error_response(self, error: chalice_local.LocalGatewayException) -> None:
        self._send_http_response(*shaped_gateway_error(error))

    def _send_shaped(self, status: int, code: str, message: str, request_id: str) -> None:
        self._send_http_response(*shaped_error(status, code, message, request_id))

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle


def create_server(host: str, port: int, stage: str, project_dir: str = REPO_ROOT) -> chalice_local.LocalDevServer:
    """What ``chalice local --stage STAGE`` builds, with :class:`ShapedErrorsHandler`."""
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.validate import validate_routes

    factory = CLIFactory(project_dir, environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app
    validate_routes(app.routes)
    # As chalice.local.create_local_server: a thread-local current_request for the threaded server.
    chalice_local.CustomLocalChalice.__bases__ = (chalice_local.LocalChalice, app.__class__)
    app.__class__ = chalice_local.CustomLocalChalice
    return chalice_local.LocalDevServer(app, config, host, port, handler_cls=ShapedErrorsHandler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.local_api", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    args = parser.parse_args(argv)
    os.chdir(REPO_ROOT)
    sys.path.insert(0, REPO_ROOT)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")  # as chalice local
    server = create_server(args.host, args.port, args.stage)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
