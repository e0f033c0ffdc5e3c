"""Routes of the loyalty and discount API: parse the request, call one service, shape the answer.

See docs/api.md for the contract of each route and README.md for running it.
"""
from datetime import datetime

from chalice import Chalice, IAMAuthorizer, Response

from chalicelib.api.auth import AUTHORIZER_TTL_SECONDS, bearer_policy, customer_id_of, operator_identity, scopes_of
from chalicelib.api.errors import json_errors, reshape_chalice_errors
from chalicelib.config import settings
from chalicelib.observability import logger as structured_logger, observe_requests

# Only what every invocation needs is imported here: each module imported by this file is
# paid on every cold start, the authorizer's included (bench/coldstart.py). Parsing and the
# services load inside the routes, once per container, on the first request that needs them.

app = Chalice(app_name="loyalty-api", configure_logs=False)  # logs are Powertools JSON (observability.py)
app.register_middleware(observe_requests, "http")  # outermost: it logs the final status and error code
app.register_middleware(reshape_chalice_errors, "http")
operators = IAMAuthorizer()


@app.authorizer(ttl_seconds=AUTHORIZER_TTL_SECONDS)
def bearer(auth_request):
    """Storefront API keys and customers' app tokens (chalicelib/api/auth.py says who may call what)."""
    return bearer_policy(auth_request.token, auth_request.method_arn)

LEDGER_PAGE_DEFAULT = 25
LEDGER_PAGE_MAX = 100


def _now() -> datetime:
    from chalicelib import clock

    return clock.now()


def _body() -> dict:
    from chalicelib.api.parsing import parse_json_body

    return parse_json_body(app.current_request.raw_body)


def _ledger_page_request():
    """(limit, position to continue after) from ``?limit=&cursor=`` of a ledger route."""
    from chalicelib.api.cursors import decode_cursor
    from chalicelib.api.parsing import parse_limit

    query = app.current_request.query_params or {}
    limit = parse_limit(query.get("limit"), default=LEDGER_PAGE_DEFAULT, maximum=LEDGER_PAGE_MAX)
    return limit, decode_cursor(query.get("cursor"), prefix="LEDGER#")


def _operator() -> str:
    """Who called an admin route, for audit fields (the IAM caller's ARN in deployed stages)."""
    request = app.current_request
    return operator_identity(request.context, request.headers, settings().stage)


@app.route("/v1/health", methods=["GET"])
@json_errors
def get_health():
    from chalicelib.services import health

    report = health.report()
    return Response(body=report, status_code=503 if report["status"] == "unavailable" else 200)


@app.route("/v1/openapi.json", methods=["GET"])
@json_errors
def get_openapi():
    """This API's OpenAPI 3.1 document (chalicelib/api/openapi.json)."""
    from chalicelib.api.openapi import openapi_text

    return Response(body=openapi_text(), headers={"Content-Type": "application/json"})


@app.route("/v1/customers/{customer_id}", methods=["PUT"], authorizer=bearer)
@json_errors
def put_customer(customer_id):
    from chalicelib.api.parsing import parse_profile, require_id
    from chalicelib.services import customers

    customer_id = require_id(customer_id, "customer_id")
    fields = parse_profile(_body(), _now())
    return customers.upsert_profile(customer_id, fields)


@app.route("/v1/customers/{customer_id}", methods=["GET"], authorizer=bearer)
@json_errors
def get_customer(customer_id):
    from chalicelib.api.parsing import require_id
    from chalicelib.services import customers

    return customers.customer_summary(require_id(customer_id, "customer_id"))


@app.route("/v1/customers/{customer_id}/orders", methods=["POST"], authorizer=bearer)
@json_errors
def post_order(customer_id):
    from chalicelib.api.parsing import parse_order, require_id
    from chalicelib.services import orders

    customer_id = require_id(customer_id, "customer_id")
    submission = parse_order(_body(), _now())
    status, result = orders.record_order(customer_id, submission)
    return Response(body=result, status_code=status)


@app.route("/v1/customers/{customer_id}/orders/{order_id}/events", methods=["POST"], authorizer=bearer)
@json_errors
def post_order_event(customer_id, order_id):
    from chalicelib.api.parsing import parse_event, require_id
    from chalicelib.services import orders

    customer_id = require_id(customer_id, "customer_id")
    order_id = require_id(order_id, "order_id")
    event, canonical = parse_event(_body(), _now())
    status, result = orders.record_event(customer_id, order_id, event, canonical)
    return Response(body=result, status_code=status)


@app.route("/v1/customers/{customer_id}/ledger", methods=["GET"], authorizer=bearer)
@json_errors
def get_ledger(customer_id):
    from chalicelib.api.cursors import encode_cursor
    from chalicelib.api.parsing import require_id
    from chalicelib.services import customers

    customer_id = require_id(customer_id, "customer_id")
    limit, after = _ledger_page_request()
    entries, next_after = customers.ledger(customer_id, limit, after)
    return {"customer_id": customer_id, "entries": entries, "next_cursor": encode_cursor(next_after)}


@app.route("/v1/me", methods=["GET"], authorizer=bearer)
@json_errors
def get_me():
    from chalicelib.services import me

    return me.my_status(customer_id_of(app.current_request.context))


@app.route("/v1/me/ledger", methods=["GET"], authorizer=bearer)
@json_errors
def get_my_ledger():
    from chalicelib.api.cursors import encode_cursor
    from chalicelib.services import me

    limit, after = _ledger_page_request()
    entries, next_after = me.my_ledger(customer_id_of(app.current_request.context), limit, after)
    return {"entries": entries, "next_cursor": encode_cursor(next_after)}


@app.route("/v1/me/addresses", methods=["GET"], authorizer=bearer)
@json_errors
def get_my_addresses():
    from chalicelib.services import me

    return me.my_addresses(customer_id_of(app.current_request.context))


@app.route("/v1/quotes", methods=["POST"], authorizer=bearer)
@json_errors
def post_quote():
    from chalicelib.api.parsing import parse_quote
    from chalicelib.services import quotes

    return quotes.create_quote(parse_quote(_body()),
                               show_customer_id="customers" in scopes_of(app.current_request.context))


@app.route("/v1/admin/customers", methods=["GET"], authorizer=operators)
@json_errors
def find_customers():
    from chalicelib.api.parsing import parse_lookup
    from chalicelib.services import support

    return support.find_customers(*parse_lookup(app.current_request.query_params or {}))


@app.route("/v1/admin/customers/{customer_id}", methods=["GET"], authorizer=operators)
@json_errors
def get_customer_360(customer_id):
    from chalicelib.api.parsing import require_id
    from chalicelib.services import support

    return support.customer_360(require_id(customer_id, "customer_id"))


@app.route("/v1/admin/customers/{customer_id}/adjustments", methods=["POST"], authorizer=operators)
@json_errors
def post_adjustment(customer_id):
    from chalicelib.api.parsing import parse_adjustment, require_id
    from chalicelib.services import support

    customer_id = require_id(customer_id, "customer_id")
    status, result = support.adjust(customer_id, parse_adjustment(_body(), _now()), _operator())
    return Response(body=result, status_code=status)


@app.route("/v1/admin/customers/{customer_id}/goodwill", methods=["POST"], authorizer=operators)
@json_errors
def recommend_goodwill(customer_id):
    from chalicelib.api.parsing import parse_goodwill, require_id
    from chalicelib.services import value

    customer_id = require_id(customer_id, "customer_id")
    return value.recommend_goodwill(customer_id, parse_goodwill(_body()))


@app.route("/v1/admin/customers/{customer_id}/merge", methods=["POST"], authorizer=operators)
@json_errors
def merge_customers(customer_id):
    from chalicelib.api.parsing import parse_merge, require_id
    from chalicelib.services import merge

    customer_id = require_id(customer_id, "customer_id")
    return merge.merge_customers(customer_id, parse_merge(_body()), _operator())


@app.route("/v1/admin/customers/{customer_id}/personal-data", methods=["DELETE"], authorizer=operators)
@json_errors
def erase_personal_data(customer_id):
    from chalicelib.api.parsing import require_id
    from chalicelib.services import privacy

    return privacy.erase_personal_data(require_id(customer_id, "customer_id"), _operator())


@app.route("/v1/admin/customers/{customer_id}/addresses/{address_id}/confirm", methods=["POST"], authorizer=operators)
@json_errors
def confirm_address(customer_id, address_id):
    from chalicelib.api.parsing import require_id
    from chalicelib.services import address_book

    customer_id = require_id(customer_id, "customer_id")
    address_id = require_id(address_id, "address_id")
    return address_book.confirm_address(customer_id, address_id, _now(), _operator())


@app.route("/v1/admin/rules", methods=["GET"], authorizer=operators)
@json_errors
def get_rules():
    from chalicelib.services import rules

    return rules.rules_json(rules.current_rules())


@app.route("/v1/admin/rules", methods=["PUT"], authorizer=operators)
@json_errors
def put_rules():
    from chalicelib.services import rules

    return rules.replace_rules(_body(), created_by=_operator())


@app.lambda_function(name="import_uploaded_file")
def import_uploaded_file(event, context):
    """A file landing under ``imports/`` of the import bucket is planned into chunks, one SQS
    message each, for ``import_chunk_worker`` (docs/scale.md, "Imports"); the merged report is
    written under ``import-reports/`` when the last chunk is done. The bucket's notification is
    declared in infra/resources.json (``chalice package`` cannot attach one through @app.on_s3_event)."""
    from chalicelib.api.import_rows import describe_import_head, read_import_chunk
    from chalicelib.services.s3_import import import_s3_event

    structured_logger()  # JSON logs for this function too
    return import_s3_event(event, describe_import_head, read_import_chunk)


# Like the stream's, the chunk queue's real ARN is the stack's: infra/resources.json sets it.
IMPORT_QUEUE_ARN_SET_BY_INFRA = "arn:aws:sqs:eu-west-2:000000000000:loyalty-import-chunks-set-in-infra-resources"


@app.on_sqs_message(queue_arn=IMPORT_QUEUE_ARN_SET_BY_INFRA, batch_size=1, name="import_chunk_worker")
def import_chunk_worker(event):
    """One chunk of an import: its rows imported and the chunk recorded once (a redelivery
    counts nothing twice); the last chunk writes the report. A failure raises, so SQS delivers
    the chunk again, and after its last receive moves it to the dead-letter queue."""
    from chalicelib.api.import_rows import read_import_chunk
    from chalicelib.services.import_fanout import handle_chunk_record

    structured_logger()
    for record in event:
        receives = int(record.to_dict().get("attributes", {}).get("ApproximateReceiveCount", "1"))
        handle_chunk_record(record.body, receives, read_import_chunk)


# chalice needs a stream ARN when packaging; the real one (the table's, known only to the stack) replaces
# this placeholder through infra/resources.json's deep merge (infra/README.md, "Events").
TABLE_STREAM_ARN_SET_BY_INFRA = "arn:aws:dynamodb:eu-west-2:000000000000:table/loyalty/stream/set-in-infra-resources"


@app.on_dynamodb_record(stream_arn=TABLE_STREAM_ARN_SET_BY_INFRA, batch_size=100, starting_position="TRIM_HORIZON",
                        name="table_stream_events")
def table_stream_events(event):
    """Item changes on the table's stream become domain events on the stage's bus (docs/events.md).
    The stream ARN and ``ReportBatchItemFailures`` are set in infra/resources.json; the answer is
    Lambda's partial-failure shape, so only the failed record and those after it are retried."""
    from chalicelib.event_bus import publisher_from_environment
    from chalicelib.services.stream_events import handle_stream_batch

    structured_logger()
    return handle_stream_batch(event.to_dict()["Records"], publisher_from_environment())
