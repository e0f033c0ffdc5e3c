"""What one request of each kind costs, measured on DynamoDB Local: the figures docs/capacity.md
turns into dollars per million.

For each operation (a quote for a Gold customer with a year of history, an order commit with the
tier discount and a budgeted promotion, a replayed order, delivered and refund events, GET /v1/me,
a profile update, both kinds of authorizer call, and the rules cache refresh) it prints:

- DynamoDB requests per operation, by API call (counted with botocore hooks);
- read and write request units per operation, computed by DynamoDB's rules from the sizes of
  the items read and written (DynamoDB Local's own ``ConsumedCapacity``, asked for on every call
  with ``ReturnConsumedCapacity=INDEXES``, is printed beside them: Local rounds a transaction's
  items together, DynamoDB rounds each item up to 1 KB, so Local under-counts transactions);
- the wall clock of the Lambda handler (median, p95, mean), the part spent inside DynamoDB Local
  calls, and the CPU time of the serving process (what a 512 MB Lambda would run slower);
- the response size, the size of every item the writes touch, and the bytes the app logs per
  request (its stdout: the JSON request line and EMF metrics, what CloudWatch Logs ingests).

The requests go through ``app(event, context)`` with API Gateway proxy events, exactly what the
Lambda runtime calls, in a child process that imports the app and serves nothing else; its peak
RSS is reported. The data is seeded by this (parent) process first: customers with twelve
delivered orders in the last year (Gold tier), the default rules stored as an operator would
(RUNCLUB10's budget raised so the bench cannot exhaust it), a storefront key.

Run: ``.venv/bin/python bench/operation_costs.py [--requests 200]`` (or ``make bench``).
Timings depend on the machine and on DynamoDB Local, whose latency is not DynamoDB's; request
counts, units and sizes do not.
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WARM_UP = 5  # requests of each kind served before measuring, on customers kept out of the figures
PROMO = "RUNCLUB10"
KNOWN_ADDRESS = {"line1": "12 Pembroke Road", "city": "Leeds", "postcode": "LS6 1AN", "country": "GB"}
NEW_ADDRESS = {"line1": "Flat 3, 80 Mill Lane", "city": "Manchester", "postcode": "M20 2RN", "country": "GB"}
CART = [{"sku": "RUN-GHOST-16", "category": "running-shoes", "quantity": 1, "unit_amount": 13999},
        {"sku": "SOCK-3PK", "category": "accessories", "quantity": 2, "unit_amount": 1299}]
METHOD_ARN = "arn:aws:execute-api:eu-west-2:123456789012:bench00001/api/POST/v1/quotes"

# (label, what it is) in the order printed
OPERATIONS = [
    ("quote", "POST /v1/quotes, Gold customer, promo code, known address (ship)"),
    ("quote_new_address", "POST /v1/quotes, same, new address (verify: a decision is written)"),
    ("order_commit", "POST .../orders with the quote token: tier discount + RUNCLUB10"),
    ("order_replay", "the same order again (a client retry): 200, nothing written"),
    ("event_delivered", "POST .../events delivered (first delivery)"),
    ("event_refunded", "POST .../events refunded, part of the order"),
    ("get_me", "GET /v1/me (customer's app)"),
    ("profile_update", "PUT /v1/customers/{id}, new email and phone"),
    ("authorizer_key", "authorizer, storefront API key (uncached call)"),
    ("authorizer_jwt", "authorizer, customer JWT (uncached call)"),
    ("rules_refresh", "rules re-read, once per container per 30 s"),
]


# ---------------------------------------------------------------------------------- parent


def history_csv(customer_ids: list[str], now: datetime) -> str:
    """Twelve delivered orders of £120 each in the last eleven months: Gold (10 orders, £1,000)."""
    header = ("customer_id,order_id,placed_at,currency,total_amount,status,email,name,phone,sku,category,"
              "shipping_line1,shipping_city,shipping_postcode,shipping_country")
    rows = [header]
    for customer_id in customer_ids:
        for n in range(12):
            placed = now - timedelta(days=28 * n + 3)
            rows.append(f"{customer_id},{customer_id}-h{n:02d},{placed:%Y-%m-%dT%H:%M:%SZ},GBP,12000,delivered,"
                        f"{customer_id}@example.com,Runner {customer_id},+44 7700 900{n:03d},RUN-{n},running-shoes,"
                        f"{KNOWN_ADDRESS['line1']},{KNOWN_ADDRESS['city']},{KNOWN_ADDRESS['postcode']},GB")
    return "\n".join(rows)


def seed(customers: list[str], now: datetime) -> str:
    """Rules stored as an operator would, a storefront key, and the customers' history."""
    from chalicelib.api.import_rows import read_import_file
    from chalicelib.domain.rules import load_default_rules
    from chalicelib.services.api_keys import SCOPES, create_key
    from chalicelib.services.importer import import_orders
    from chalicelib.services.rules import replace_rules

    document = load_default_rules().to_document()
    for promotion in document["promotions"]:
        if promotion["code"] == PROMO:
            promotion["budget"] = 1_000_000  # the bench must not run the budget out
    replace_rules(document, created_by="bench")
    secret = create_key("bench web shop", "web-shop", SCOPES)[1]
    summary = import_orders(read_import_file(io.StringIO(history_csv(customers, now)), "history.csv", now), now=now)
    if getattr(summary, "rejected", None):
        raise SystemExit(f"seeding rejected rows: {summary.rejected[:3]}")
    return secret


def run_child(plan: dict, environment: dict[str, str]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(plan, handle)
        plan_path = handle.name
    output = plan_path + ".out"
    # The child's stdout is what the Lambda would send to CloudWatch Logs: kept in a file, measured.
    with open(plan_path + ".log", "wb") as logs:
        completed = subprocess.run([sys.executable, __file__, "--serve", plan_path, "--output", output],
                                   env=environment, cwd=str(ROOT), check=False, stdout=logs)
    if completed.returncode != 0:
        raise SystemExit(f"the serving process failed with exit code {completed.returncode} "
                         f"(its stdout is in {plan_path}.log)")
    result = json.loads(Path(output).read_text())
    for path in (plan_path, output, plan_path + ".log"):
        Path(path).unlink(missing_ok=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="measured requests of each kind")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve), Path(args.output))
        return

    signing_key = os.environ.get("LOYALTY_QUOTE_SIGNING_KEY") or "bench-only-" + os.urandom(24).hex()
    os.environ["LOYALTY_QUOTE_SIGNING_KEY"] = signing_key
    from bench._dynamodb import dynamodb_local_table
    from chalicelib.store import models
    from devtools.local_customer_keys import local_token_settings, mint_customer_token

    now = datetime.now(UTC)
    customers = [f"runner-{n:04d}" for n in range(args.requests + WARM_UP)]
    keys_dir = tempfile.TemporaryDirectory()  # the customer-token key pair (local_customer_keys wants ".data")
    data_dir = Path(keys_dir.name) / ".data"
    token_settings = local_token_settings(data_dir=data_dir)
    with keys_dir, dynamodb_local_table():
        started = time.perf_counter()
        secret = seed(customers, now)
        seeded_s = time.perf_counter() - started
        plan = {
            "customers": customers,
            "secret": secret,
            "tokens": {c: mint_customer_token(c, minutes=120, data_dir=data_dir) for c in customers},
        }
        environment = {
            **os.environ, **token_settings,
            "LOYALTY_TABLE": models.TableItem.Meta.table_name,
            "DYNAMODB_ENDPOINT": models.TableItem.Meta.host,
            "LOYALTY_STAGE": "bench",
            "LOYALTY_BACKEND": "dynamodb-local",
            "LOYALTY_RULES_CACHE_SECONDS": "30",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        result = run_child(plan, environment)
    report(result, args.requests, seeded_s)


# ---------------------------------------------------------------------------------- child


WRITE_CALLS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
LOOKUP_INDEXES = {"email_hash": "email-index", "phone_hash": "phone-index"}


class DynamoMeter:
    """Counts DynamoDB calls, capacity units and wait time per operation, with botocore hooks.

    Read units are computed per call from the items that come back, by DynamoDB's rules
    (4 KB steps; 0.5 eventually consistent, 1 strongly consistent; a Query rounds the sum of
    its items, a GetItem its one item, a miss still costs the minimum). Write units cannot be
    seen in a request, so the items each write touched are recorded for the last request of
    an operation and read back afterwards (see :func:`write_units`). DynamoDB Local's own
    ``ConsumedCapacity`` (``ReturnConsumedCapacity=INDEXES`` is added to every call) is kept
    as a cross-check: it rounds a transaction's items together, not one by one as DynamoDB does.

    Calls on the API key items and the rules item are booked to their own operations (the
    authorizer, the rules cache), whatever request made them.
    """

    def __init__(self) -> None:
        self.operation = "setup"
        self.calls: dict[str, dict[str, int]] = {}
        self.read_units: dict[str, float] = {}
        self.local_units: dict[str, dict[str, float]] = {}
        self.wait: dict[str, float] = {}
        self.read_bytes: dict[str, int] = {}
        self.filtered_out: dict[str, int] = {}
        self.writes: list[dict] = []  # the write calls of the request being served
        self.total_wait = 0.0  # seconds spent in DynamoDB calls, all operations
        self.latencies: dict[str, list] = {}  # API call -> milliseconds, measured operations only
        self._started: dict[int, tuple] = {}

    def install(self, client) -> None:
        client.meta.events.register("before-parameter-build.dynamodb", self._before_build)
        client.meta.events.register("before-call.dynamodb", self._before_call)
        client.meta.events.register("after-call.dynamodb", self._after_call)

    def begin_request(self) -> None:
        self.writes = []

    def forget(self, bucket: str) -> None:
        for table in (self.calls, self.read_units, self.local_units, self.wait, self.read_bytes, self.filtered_out):
            table.pop(bucket, None)

    def _bucket(self, params: dict) -> str:
        key = params.get("Key") or params.get("Item") or {}
        pk = (key.get("pk") or {}).get("S", "")
        if pk.startswith("APIKEY"):
            return "authorizer_key"
        if pk == "RULES" and self.operation != "setup":
            return "rules_refresh"
        return self.operation

    @staticmethod
    def _before_build(params, model, **kwargs) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params.setdefault("ReturnConsumedCapacity", "INDEXES")

    def _before_call(self, model, params, context, **kwargs) -> None:
        try:
            sent = json.loads(params.get("body") or b"{}")
        except ValueError:
            sent = {}
        bucket = self._bucket(sent)
        self._started[id(context)] = (bucket, time.perf_counter(), sent)
        calls = self.calls.setdefault(bucket, {})
        calls[model.name] = calls.get(model.name, 0) + 1

    def _after_call(self, model, parsed, context, http_response, **kwargs) -> None:
        bucket, started, sent = self._started.pop(id(context), (self.operation, time.perf_counter(), {}))
        self.wait[bucket] = self.wait.get(bucket, 0.0) + time.perf_counter() - started
        self.total_wait += time.perf_counter() - started
        if bucket != "setup":
            self.latencies.setdefault(model.name, []).append((time.perf_counter() - started) * 1000)
        consumed = parsed.get("ConsumedCapacity")
        local = self.local_units.setdefault(bucket, {"read": 0.0, "write": 0.0})
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            local["write" if model.name in WRITE_CALLS else "read"] += float(entry.get("CapacityUnits", 0.0))
        if model.name in WRITE_CALLS:
            self.writes.append({"call": model.name, "sent": sent, "ok": http_response.status_code == 200})
            return
        factor = 1.0 if sent.get("ConsistentRead") else 0.5
        if model.name == "GetItem":
            sizes = [item_size(parsed["Item"])] if parsed.get("Item") else [0]
            units = max(1, math.ceil(sizes[0] / 4096)) * factor
        elif model.name in ("Query", "Scan"):
            sizes = [item_size(item) for item in parsed.get("Items") or []]
            units = max(1, math.ceil(sum(sizes) / 4096)) * factor
            self.filtered_out[bucket] = self.filtered_out.get(bucket, 0) + (
                int(parsed.get("ScannedCount", 0)) - int(parsed.get("Count", 0)))
        elif model.name == "BatchGetItem":
            items = [item for found in (parsed.get("Responses") or {}).values() for item in found]
            sizes = [item_size(item) for item in items]
            units = sum(max(1, math.ceil(size / 4096)) * factor for size in sizes)
        else:
            return
        self.read_units[bucket] = self.read_units.get(bucket, 0.0) + units
        self.read_bytes[bucket] = self.read_bytes.get(bucket, 0) + sum(sizes)


def write_targets(writes: list[dict]) -> list[dict]:
    """The items the recorded write calls touched: kind, key, size sent, transactional, indexes changed."""
    targets = []
    for write in writes:
        sent = write["sent"]
        if write["call"] == "TransactWriteItems":
            parts = [(kind, body, True) for entry in sent.get("TransactItems", []) for kind, body in entry.items()]
        else:
            kind = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}.get(write["call"], write["call"])
            parts = [(kind, sent, False)]
        for kind, body, transactional in parts:
            key = body.get("Key") or {"pk": body["Item"]["pk"], "sk": body["Item"]["sk"]}
            names = set((body.get("ExpressionAttributeNames") or {}).values()) | set(body.get("Item") or {})
            targets.append({"kind": kind, "pk": key["pk"]["S"], "sk": key["sk"]["S"], "key": key,
                            "sent_size": item_size(body["Item"]) if "Item" in body else 0,
                            "transactional": transactional, "ok": write["ok"],
                            "indexes": sorted(LOOKUP_INDEXES[n] for n in names if n in LOOKUP_INDEXES)})
    return targets


def write_units(targets: list[dict], read_back) -> dict:
    """Write units of one request's writes, by DynamoDB's rules: each item rounded up to 1 KB
    on its own, the larger of its size before and after (here: after, which is the larger for
    these writes: counters and new items only grow), twice in a transaction. A changed lookup
    attribute writes its keys-only index twice (the old entry out, the new one in). A cancelled
    transaction writes nothing and reports no units; its would-be units are kept apart."""
    table = gsi = cancelled = 0
    rows = []
    for target in targets:
        size = max(target["sent_size"], read_back(target["key"]))
        units = max(1, math.ceil(size / 1024)) * (2 if target["transactional"] else 1)
        rows.append((target["kind"], target["pk"], target["sk"], size, units))
        if not target["ok"]:
            cancelled += units
            continue
        table += units
        gsi += 2 * len(target["indexes"])
    return {"table": table, "gsi": gsi, "cancelled": cancelled, "rows": rows}


def attribute_size(value: dict) -> int:
    """Bytes DynamoDB counts for one attribute value (its documented sizing rules)."""
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(name.encode("utf-8")) + attribute_size(v) + 1 for name, v in inner.items())
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in inner)
    return 0


def item_size(item: dict) -> int:
    return sum(len(name.encode("utf-8")) + attribute_size(value) for name, value in item.items())


def proxy_event(method: str, resource_path: str, path: str, body: dict | None = None,
                path_parameters: dict | None = None, authorizer: dict | None = None) -> dict:
    """An API Gateway REST proxy event, as API Gateway sends it to the Lambda."""
    headers = {"content-type": "application/json", "host": "api.example.com", "user-agent": "bench"}
    return {
        "resource": resource_path, "path": path, "httpMethod": method,
        "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters, "stageVariables": None,
        "requestContext": {
            "resourcePath": resource_path, "httpMethod": method, "path": "/api" + path, "stage": "api",
            "requestId": str(uuid.uuid4()), "apiId": "bench00001", "accountId": "123456789012",
            "requestTimeEpoch": int(time.time() * 1000), "identity": {"sourceIp": "203.0.113.9"},
            "authorizer": authorizer or {},
        },
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
    }


def lambda_context() -> SimpleNamespace:
    return SimpleNamespace(function_name="loyalty-api-prod", memory_limit_in_mb=512,
                           invoked_function_arn="arn:aws:lambda:eu-west-2:123456789012:function:loyalty-api-prod",
                           aws_request_id=str(uuid.uuid4()), get_remaining_time_in_millis=lambda: 10_000)


def amount_of(money) -> int:
    """Minor units of a money value, whether ``{"amount", "currency"}`` or a bare integer."""
    return money["amount"] if isinstance(money, dict) else int(money)


def process_memory_mb() -> tuple:
    """(peak RSS, current RSS) of this process image in MB, from /proc (VmHWM, VmRSS).

    Not ``getrusage``: on Linux its ``ru_maxrss`` survives ``exec``, so a child started by a
    big parent would report the parent's peak."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            fields[name] = int(value.split()[0]) / 1024
    if not fields:  # not Linux: the best there is
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        return peak, peak
    return fields["VmHWM"], fields["VmRSS"]


def serve(plan_path: Path, output: Path) -> None:
    """The Lambda's side: import the app, then serve every kind of request, measuring each."""
    plan = json.loads(plan_path.read_text())
    rss_before_import = process_memory_mb()[0]
    started = time.perf_counter()
    import app as lambda_app
    import_ms = (time.perf_counter() - started) * 1000
    rss_after_import = process_memory_mb()[0]

    from chalicelib.services.rules import forget_cached_rules
    from chalicelib.store.models import TableItem

    app = lambda_app.app
    meter = DynamoMeter()
    client = TableItem._get_connection().connection.client
    meter.install(client)

    def read_back(key: dict) -> int:
        got = client.get_item(TableName=TableItem.Meta.table_name, Key={"pk": key["pk"], "sk": key["sk"]})
        return item_size(got.get("Item") or {})
    secret, tokens = plan["secret"], plan["tokens"]
    storefront = {"principalId": "key", "key_id": "key", "channel": "web-shop", "scopes": "quotes,orders,customers"}
    customers = plan["customers"]
    now = datetime.now(UTC)

    def call(event: dict) -> dict:
        response = app(event, lambda_context())
        return {"status": response["statusCode"], "body": response.get("body") or ""}

    def quote(customer: str, address: dict) -> dict:
        body = {"customer_id": customer, "currency": "GBP", "promo_codes": [PROMO], "lines": CART,
                "shipping_address": address}
        return call(proxy_event("POST", "/v1/quotes", "/v1/quotes", body, authorizer=storefront))

    quotes: dict[str, dict] = {}

    def order_body(customer: str) -> dict:
        answer = quotes[customer]
        lines = [{"sku": line["sku"], "category": cart["category"], "quantity": line["quantity"],
                  "unit_amount": cart["unit_amount"],
                  "discount_amount": line["subtotal"]["amount"] - line["total"]["amount"]}
                 for line, cart in zip(answer["lines"], CART)]
        return {"order_id": f"{customer}-new", "placed_at": now.isoformat(), "currency": "GBP", "lines": lines,
                "total_amount": answer["totals"]["total"]["amount"], "quote_token": answer["quote_token"],
                "shipping_address": KNOWN_ADDRESS}

    def order_event(customer: str, kind: str, amount: int | None = None) -> dict:
        body = {"event_id": f"{kind}-1", "type": kind, "at": (now + timedelta(minutes=5)).isoformat()}
        if amount is not None:
            body["amount"] = amount
        order_id = f"{customer}-new"
        return call(proxy_event("POST", "/v1/customers/{customer_id}/orders/{order_id}/events",
                                f"/v1/customers/{customer}/orders/{order_id}/events", body,
                                {"customer_id": customer, "order_id": order_id}, storefront))

    def authorize(token: str) -> dict:
        answer = lambda_app.bearer({"type": "TOKEN", "authorizationToken": f"Bearer {token}",
                                    "methodArn": METHOD_ARN}, lambda_context())
        effect = answer["policyDocument"]["Statement"][0]["Effect"]
        return {"status": 200 if effect == "Allow" else 403, "body": json.dumps(answer)}

    def rules_refresh(_customer: str) -> dict:
        forget_cached_rules()
        from chalicelib.services.rules import current_rules
        return {"status": 200, "body": json.dumps({"version": current_rules().version})}

    def remember_quote(customer: str) -> dict:
        answer = quote(customer, KNOWN_ADDRESS)
        if answer["status"] == 200:
            quotes[customer] = json.loads(answer["body"])
        return answer

    steps = {
        "quote": (remember_quote, 200),
        "quote_new_address": (lambda c: quote(c, NEW_ADDRESS), 200),
        "order_commit": (lambda c: call(proxy_event("POST", "/v1/customers/{customer_id}/orders",
                                                    f"/v1/customers/{c}/orders", order_body(c),
                                                    {"customer_id": c}, storefront)), 201),
        "order_replay": (lambda c: call(proxy_event("POST", "/v1/customers/{customer_id}/orders",
                                                    f"/v1/customers/{c}/orders", order_body(c),
                                                    {"customer_id": c}, storefront)), 200),
        "event_delivered": (lambda c: order_event(c, "delivered"), 201),
        "event_refunded": (lambda c: order_event(c, "refunded", 1500), 201),
        "get_me": (lambda c: call(proxy_event("GET", "/v1/me", "/v1/me", authorizer={
            "principalId": c, "customer_id": c, "token_use": "access"})), 200),
        "profile_update": (lambda c: call(proxy_event(
            "PUT", "/v1/customers/{customer_id}", f"/v1/customers/{c}",
            {"email": f"{c}.new@example.com", "phone": "+44 7700 900999"}, {"customer_id": c}, storefront)), 200),
        "authorizer_key": (lambda c: authorize(secret), 200),
        "authorizer_jwt": (lambda c: authorize(tokens[c]), 200),
        "rules_refresh": (rules_refresh, 200),
    }

    results: dict[str, dict] = {}
    samples: dict[str, Any] = {}
    warm, measured = customers[:WARM_UP], customers[WARM_UP:]
    for label, _ in OPERATIONS:
        step, expected = steps[label]
        meter.operation = "setup"
        for customer in warm:
            answer = step(customer)
            if answer["status"] != expected:
                raise SystemExit(f"{label} warm-up answered {answer['status']}: {answer['body'][:500]}")
        meter.forget(label)
        meter.operation = label
        logged = stdout_bytes()
        times, waits, cpus, sizes = [], [], [], []
        for customer in measured:
            meter.begin_request()
            waited, cpu = meter.total_wait, time.process_time()
            started = time.perf_counter()
            answer = step(customer)
            times.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            waits.append((meter.total_wait - waited) * 1000)
            if answer["status"] != expected:
                raise SystemExit(f"{label} answered {answer['status']}: {answer['body'][:500]}")
            sizes.append(len(answer["body"].encode("utf-8")))
        meter.operation = "setup"
        log_bytes = stdout_bytes() - logged
        writes = write_units(write_targets(meter.writes), read_back)
        times.sort()
        n = len(measured)
        local = meter.local_units.get(label, {})
        results[label] = {
            "n": n, "median_ms": statistics.median(times), "p95_ms": times[max(0, int(n * 0.95) - 1)],
            "mean_ms": statistics.mean(times), "wait_median_ms": statistics.median(waits),
            "cpu_median_ms": statistics.median(cpus), "cpu_mean_ms": statistics.mean(cpus),
            "calls": {name: count / n for name, count in meter.calls.get(label, {}).items()},
            "rru": meter.read_units.get(label, 0.0) / n, "wru": writes["table"], "gsi_wru": writes["gsi"],
            "cancelled_wru": writes["cancelled"], "write_rows": writes["rows"],
            "local_rru": local.get("read", 0.0) / n, "local_wru": local.get("write", 0.0) / n,
            "dynamo_wait_ms": meter.wait.get(label, 0.0) * 1000 / n,
            "read_bytes": meter.read_bytes.get(label, 0) / n,
            "filtered_out": meter.filtered_out.get(label, 0) / n,
            "response_bytes": statistics.median(sizes), "log_bytes": log_bytes / n,
        }
        if label in ("quote", "order_commit"):
            body = json.loads(answer["body"])
            samples[f"{label}_discounts"] = [(d["code"], d["kind"], amount_of(d["amount"])) for d in body["discounts"]]
        if label == "quote":
            samples["quote_tier"] = body["customer"]["tier"]
            samples["quote_decision"] = (body.get("address_trust") or {}).get("decision")
        if label == "quote_new_address":
            samples["quote_new_decision"] = (json.loads(answer["body"]).get("address_trust") or {}).get("decision")
    peak_serving, rss_now = process_memory_mb()

    logs = {"platform": platform_log_bytes()}
    json.dump({
        "import_ms": import_ms, "rss_before_import_mb": rss_before_import, "rss_after_import_mb": rss_after_import,
        "rss_peak_mb": peak_serving, "rss_now_mb": rss_now,
        "latencies": {name: (statistics.median(values), sorted(values)[max(0, int(len(values) * 0.95) - 1)], len(values))
                      for name, values in meter.latencies.items()}, "results": results, "logs": logs, "samples": samples,
        "python": sys.version.split()[0], "cpus": os.cpu_count(),
    }, output.open("w"))


def platform_log_bytes() -> int:
    """Bytes of the lines the Lambda service itself logs for every invocation (text format)."""
    request_id = str(uuid.uuid4())
    return len(f"START RequestId: {request_id} Version: $LATEST\n"
               f"END RequestId: {request_id}\n"
               f"REPORT RequestId: {request_id}\tDuration: 41.27 ms\tBilled Duration: 42 ms\t"
               "Memory Size: 512 MB\tMax Memory Used: 118 MB\t\n")


def stdout_bytes() -> int:
    """Bytes written to stdout so far (stdout is a file the parent opened)."""
    sys.stdout.flush()
    try:
        return os.fstat(sys.stdout.fileno()).st_size
    except (OSError, ValueError):
        return 0


# ---------------------------------------------------------------------------------- report


def report(result: dict, requests: int, seeded_s: float) -> None:
    results = result["results"]
    print(f"operation costs on DynamoDB Local: {requests} measured requests of each kind after {WARM_UP} warm-up")
    print(f"(python {result['python']}, {result['cpus']} CPUs; seeding took {seeded_s:.0f} s)")
    print("RRU, WRU, GSI: request units per operation by DynamoDB's rules, from item sizes (a transaction")
    print("  costs 2 WRU per KB of each item); 'Local R/W' = what DynamoDB Local reports for the same calls")
    print("median, p95, mean: wall clock of the Lambda handler in ms; ddb: median ms inside DynamoDB Local")
    print("  calls; cpu: median CPU ms of the serving process (our code, botocore, JSON); resp B: body bytes;")
    print("  log B: bytes the app wrote to stdout (JSON log line + EMF metrics) per request")
    header = (f"{'operation':<19}{'DynamoDB requests / op':<36}{'RRU':>5}{'WRU':>5}{'GSI':>4}{'Local R/W':>11}"
              f"{'median':>8}{'p95':>7}{'mean':>7}{'ddb':>6}{'cpu':>6}{'resp B':>7}{'log B':>6}")
    print(header)
    print("-" * len(header))
    for label, _ in OPERATIONS:
        r = results[label]
        calls = ", ".join(f"{count:g} {name}" for name, count in sorted(r["calls"].items())) or "none"
        wru = f"{r['wru']:g}" if not r["cancelled_wru"] else "0*"
        print(f"{label:<19}{calls:<36}{r['rru']:>5g}{wru:>5}{r['gsi_wru']:>4g}"
              f"{r['local_rru']:>6g}/{r['local_wru']:<4g}{r['median_ms']:>8.1f}{r['p95_ms']:>7.1f}{r['mean_ms']:>7.1f}"
              f"{r['wait_median_ms']:>6.1f}{r['cpu_median_ms']:>6.1f}{r['response_bytes']:>7.0f}{r['log_bytes']:>6.0f}")
    print()
    for label, what in OPERATIONS:
        print(f"  {label:<19}{what}")
    replay = results["order_replay"]
    if replay["cancelled_wru"]:
        print(f"  * the replay's transaction is cancelled by its condition and reports no units "
              f"({replay['cancelled_wru']} WRU if billed like a successful one)")
    print()
    samples = result["samples"]
    quote = results["quote"]
    print(f"quote: tier {samples.get('quote_tier')}, discounts {samples.get('quote_discounts')},")
    print(f"  address decision {samples.get('quote_decision')} (new address: {samples.get('quote_new_decision')}); "
          f"{quote['read_bytes']:.0f} bytes read per quote, {quote['filtered_out']:g} items left out by the filter")
    print(f"order commit: discounts {samples.get('order_commit_discounts')}")
    for label, title in (("order_commit", "items one order commit writes"),
                         ("event_delivered", "items a first delivery writes"),
                         ("event_refunded", "items a refund writes"),
                         ("quote_new_address", "item a verify/review quote writes"),
                         ("profile_update", "item a profile update writes (and 2 writes per changed index)")):
        rows = results[label]["write_rows"]
        print(f"{title}, sizes after the write:")
        for kind, pk, sk, size, units in rows:
            key = f"{pk} / {sk}"
            key = key if len(key) <= 70 else key[:67] + "..."
            print(f"  {kind:<7}{key:<70}{size:>6} B{units:>4} WRU")
    print("DynamoDB Local call latency seen by the app, median / p95 ms: " + "; ".join(
        f"{name} {median:.1f} / {p95:.1f}" for name, (median, p95, _) in sorted(result["latencies"].items())))
    logs = result["logs"]
    print(f"log bytes per invocation written by Lambda itself (START/END/REPORT lines): {logs['platform']} B, "
          "on top of 'log B'")
    print(f"process: importing app.py took {result['import_ms']:.0f} ms; peak RSS {result['rss_before_import_mb']:.1f} MB "
          f"before the import,")
    print(f"  {result['rss_after_import_mb']:.1f} MB after it, {result['rss_peak_mb']:.1f} MB after serving every request "
          "above (the Lambda has 512 MB)")


if __name__ == "__main__":
    main()
