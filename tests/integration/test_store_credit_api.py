"""Store credit through the API (issue 14): granted by goodwill, by an operator or by a refund
made as credit; applied by a quote in one DynamoDB request; spent by the order with the token in
its own transaction; given back by cancellations, refunds and returns; shown to the customer,
to support and on the customer summary."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from .helpers import JSON, DynamoCalls, item_count, order_body, post, put

NOW = datetime.now(timezone.utc)


def admin_post(raw_client, path, body):
    return raw_client.http.post(path, headers={**JSON, "X-Operator": "dana"}, body=json.dumps(body).encode())


def grant(raw_client, customer_id, amount, adjustment_id="adj-1", kind="store_credit", currency="GBP", **extra):
    body = {"kind": kind, "adjustment_id": adjustment_id, "amount": amount, "currency": currency,
            "reason": "parcel arrived late", **extra}
    return admin_post(raw_client, f"/v1/admin/customers/{customer_id}/adjustments", body)


CART = [{"sku": "TIMER", "category": "aquarium", "quantity": 1, "unit_amount": 1500},
        {"sku": "FOOD", "category": "aquarium", "quantity": 3, "unit_amount": 333}]


def quote(client, customer_id, use_credit=True, lines=CART, currency="GBP"):
    body = {"customer_id": customer_id, "currency": currency, "lines": lines}
    if use_credit is not None:
        body["use_credit"] = use_credit
    return post(client, "/v1/quotes", body)


def order_from(quote_body, order_id, lines=CART):
    order_lines = []
    for line, quoted in zip(lines, quote_body["lines"]):
        discount = sum(part["amount"]["amount"] for part in quoted["discounts"])
        order_lines.append({**{k: line[k] for k in ("sku", "category", "quantity", "unit_amount")},
                            "discount_amount": discount})
    total = sum(line["quantity"] * line["unit_amount"] - line["discount_amount"] for line in order_lines)
    return {"order_id": order_id, "placed_at": (NOW - timedelta(minutes=1)).isoformat(), "currency": quote_body["currency"],
            "lines": order_lines, "total_amount": total, "quote_token": quote_body["quote_token"]}


def balance(client, customer_id):
    return client.http.get(f"/v1/customers/{customer_id}").json_body["credit"]["balance"]


@pytest.fixture
def ada(client):
    assert put(client, "/v1/customers/ada", {"name": "Ada"}).status_code == 200
    return "ada"


def test_an_operators_credit_is_applied_by_the_quote_after_discounts_and_split_exactly_over_lines(
        client, raw_client, ada, with_settings):
    answer = grant(raw_client, ada, 1000)
    assert answer.status_code == 201, answer.json_body
    assert answer.json_body["credit_granted"]["amount"] == {"amount": 1000, "currency": "GBP"}
    expires = datetime.fromisoformat(answer.json_body["credit_granted"]["expires_at"])
    assert timedelta(days=365) <= expires - NOW < timedelta(days=365, minutes=30)  # the rules' default lifetime

    with_settings(LOYALTY_RULES_CACHE_SECONDS="60")  # rules cached, as in a warm Lambda
    quote(client, ada)
    with DynamoCalls() as calls:
        body = quote(client, ada).json_body
    assert calls.operations == ["Query"]  # still one request with credit in the quote
    assert body["credit"]["available"] == {"amount": 1000, "currency": "GBP"}
    assert body["credit"]["applied"] == {"amount": 1000, "currency": "GBP"}
    assert body["credit"]["remaining_after"] == {"amount": 0, "currency": "GBP"}
    assert body["credit"]["expires_soonest"]["amount"] == {"amount": 1000, "currency": "GBP"}
    parts = [line["credit"]["amount"] for line in body["lines"]]
    assert sum(parts) == 1000
    assert all(part <= line["total"]["amount"] for part, line in zip(parts, body["lines"]))
    assert body["totals"]["to_pay"]["amount"] == body["totals"]["total"]["amount"] - 1000


def test_credit_is_never_more_than_the_total_nor_than_asked(client, raw_client, ada):
    grant(raw_client, ada, 50000)
    body = quote(client, ada).json_body
    total = body["totals"]["total"]["amount"]
    assert body["credit"]["applied"]["amount"] == total
    assert body["totals"]["to_pay"]["amount"] == 0
    assert body["credit"]["remaining_after"]["amount"] == 50000 - total
    assert quote(client, ada, use_credit=700).json_body["credit"]["applied"]["amount"] == 700
    shown = quote(client, ada, use_credit=None).json_body
    assert shown["credit"]["available"]["amount"] == 50000 and shown["credit"]["applied"]["amount"] == 0


def test_an_order_with_the_token_spends_the_credit_and_a_second_one_is_refused_with_nothing_written(client, raw_client, table, ada):
    grant(raw_client, ada, 1000)
    first, second = quote(client, ada).json_body, quote(client, ada).json_body
    placed = post(client, "/v1/customers/ada/orders", order_from(first, "o-1"))
    assert placed.status_code == 201, placed.json_body
    assert placed.json_body["credit"] == {"applied": {"amount": 1000, "currency": "GBP"},
                                          "drawn": {"amount": 1000, "currency": "GBP"}}
    assert balance(client, ada) == {"amount": 0, "currency": "GBP"}
    # the same order again is a replay, not a second spend
    again = post(client, "/v1/customers/ada/orders", order_from(first, "o-1"))
    assert again.status_code == 200 and again.json_body["credit"] == placed.json_body["credit"]

    before = item_count(table)
    refused = post(client, "/v1/customers/ada/orders", order_from(second, "o-2"))
    assert refused.status_code == 409
    assert refused.json_body["error"]["code"] == "credit_unavailable"
    assert refused.json_body["error"]["details"][0]["field"] == "quote_token"
    assert item_count(table) == before


def test_a_cancellation_gives_the_credit_back_and_refunds_give_back_their_share(client, raw_client, ada):
    grant(raw_client, ada, 1000)
    body = quote(client, ada).json_body
    post(client, "/v1/customers/ada/orders", order_from(body, "o-1"))
    total = body["totals"]["total"]["amount"]  # 2499; credit 1000 of it
    refund = post(client, "/v1/customers/ada/orders/o-1/events",
                  {"event_id": "r-1", "type": "refunded", "at": NOW.isoformat(), "amount": 1000})
    assert refund.status_code == 201, refund.json_body
    share = 1000 * 1000 // total  # credit left x refund / value left, rounded down
    assert refund.json_body["credit_returned"] == {"amount": share, "currency": "GBP"}
    assert balance(client, ada)["amount"] == share
    cancel = post(client, "/v1/customers/ada/orders/o-1/events",
                  {"event_id": "c-1", "type": "cancelled", "at": NOW.isoformat()})
    assert cancel.status_code == 201, cancel.json_body
    assert cancel.json_body["credit_returned"]["amount"] == 1000 - share
    assert balance(client, ada)["amount"] == 1000


def test_returned_units_give_back_their_own_share_of_the_credit(client, raw_client, ada):
    grant(raw_client, ada, 1000)
    body = quote(client, ada).json_body
    post(client, "/v1/customers/ada/orders", order_from(body, "o-1"))
    timer_credit = body["lines"][0]["credit"]["amount"]
    answer = post(client, "/v1/customers/ada/orders/o-1/events",
                  {"event_id": "ret-1", "type": "returned", "at": NOW.isoformat(),
                   "lines": [{"sku": "TIMER", "quantity": 1}]})
    assert answer.status_code == 201, answer.json_body
    assert answer.json_body["credit_returned"]["amount"] == timer_credit
    assert balance(client, ada)["amount"] == timer_credit


def test_a_refund_made_as_store_credit_grants_the_rest_as_new_credit(client, ada):
    post(client, "/v1/customers/ada/orders", order_body("o-9", (NOW - timedelta(days=2)).isoformat(), unit=2000, quantity=1))
    answer = post(client, "/v1/customers/ada/orders/o-9/events",
                  {"event_id": "r-9", "type": "refunded", "at": NOW.isoformat(), "amount": 800,
                   "as_store_credit": True, "reason": "scratched lid"})
    assert answer.status_code == 201, answer.json_body
    assert answer.json_body["store_credit_granted"]["amount"] == {"amount": 800, "currency": "GBP"}
    assert answer.json_body["order"]["refunded"]["amount"] == 800
    assert balance(client, ada) == {"amount": 800, "currency": "GBP"}
    delivered = post(client, "/v1/customers/ada/orders/o-9/events",
                     {"event_id": "d-9", "type": "delivered", "at": NOW.isoformat(), "as_store_credit": True})
    assert delivered.status_code == 400
    assert delivered.json_body["error"]["details"][0]["field"] == "as_store_credit"


def test_expired_credit_is_not_applied_and_credit_given_back_to_it_stays_expired(client, raw_client, ada):
    from chalicelib.api.parsing import parse_event
    from chalicelib.services import orders, support

    now = datetime.now(timezone.utc)
    grant(raw_client, ada, 600, "short", expires_at=(now + timedelta(days=3)).isoformat())
    grant(raw_client, ada, 400, "long", expires_at=None)
    body = quote(client, ada).json_body
    assert body["credit"]["applied"]["amount"] == 1000
    assert body["credit"]["expires_soonest"]["amount"]["amount"] == 600  # the short grant is spent first
    post(client, "/v1/customers/ada/orders", order_from(body, "o-1"))

    later = now + timedelta(days=4)  # the short grant has expired since
    event, canonical = parse_event({"event_id": "c-1", "type": "cancelled", "at": later.isoformat()}, later)
    status, cancel = orders.record_event("ada", "o-1", event, canonical, now=later)
    assert status == 201 and cancel["credit_returned"]["amount"] == 1000
    staff = support.customer_360("ada", now=later)["credit"]
    assert staff["expired"]["amount"] == 600 and staff["balance"]["amount"] == 400  # not revived
    assert staff["granted"]["amount"] - staff["spent"]["amount"] + staff["returned"]["amount"] \
        - staff["expired"]["amount"] == staff["balance"]["amount"]
    assert {row["kind"] for row in staff["movements"]} == {"granted", "spent", "returned", "expired"}
    assert [g["status"] for g in staff["grants"]] == ["expired", "active"]
    assert balance(client, ada)["amount"] == 1000  # today both grants are still live


def test_credit_in_another_currency_is_converted_in_the_customers_favour(client, raw_client, ada):
    grant(raw_client, ada, 1000)  # £10.00; USD rate 0.79
    lines = [{"sku": "TIMER", "category": "aquarium", "quantity": 1, "unit_amount": 5000}]
    body = quote(client, ada, lines=lines, currency="USD").json_body
    assert body["credit"]["available"] == {"amount": 1266, "currency": "USD"}  # 1265.8 rounded up
    assert body["credit"]["applied"]["amount"] == 1266
    placed = post(client, "/v1/customers/ada/orders", order_from(body, "o-usd", lines))
    assert placed.status_code == 201, placed.json_body
    assert placed.json_body["credit"]["drawn"] == {"amount": 1000, "currency": "GBP"}
    assert balance(client, ada)["amount"] == 0


def test_the_customer_summary_and_me_show_the_balance_in_plain_words(client, raw_client, ada, customer_token):
    grant(raw_client, ada, 1000)
    me = raw_client.http.get("/v1/me", headers={"Authorization": f"Bearer {customer_token('ada')}"}).json_body
    assert me["credit"]["balance"] == {"amount": 1000, "currency": "GBP"}
    assert me["credit"]["text"].startswith("You have £10.00 of store credit")
    assert me["credit"]["expiring"][0]["text"].startswith("£10.00 expires on ")
    assert "parcel arrived late" not in json.dumps(me)  # the reason is for staff


@pytest.mark.parametrize("body, field", [
    ({"use_credit": -5}, "use_credit"),
    ({"use_credit": 10.5}, "use_credit"),
    ({"use_credit": "all"}, "use_credit"),
    ({"use_credit": True, "customer_id": None}, "use_credit"),
])
def test_bad_use_credit_is_a_400_naming_the_field(client, ada, body, field):
    request = {"customer_id": "ada", "currency": "GBP", "lines": CART, **body}
    answer = post(client, "/v1/quotes", request)
    assert answer.status_code == 400
    assert [d["field"] for d in answer.json_body["error"]["details"]] == [field]


@pytest.mark.parametrize("body, field, status", [
    ({"amount": -100}, "amount", 400),
    ({"amount": 10.0}, "amount", 400),
    ({"currency": "XXX"}, "currency", 400),
    ({"currency": "CHF"}, "currency", 400),  # a real currency without a rate in the rules
    ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at", 400),
])
def test_bad_grants_are_refused_with_the_field_and_write_nothing(raw_client, client, table, ada, body, field, status):
    before = item_count(table)
    answer = grant(raw_client, ada, **{"amount": 1000, **body})
    assert answer.status_code == status, answer.json_body
    assert answer.json_body["error"]["details"][0]["field"] == field
    assert item_count(table) == before


def test_the_rules_default_lifetime_is_validated_and_null_means_no_expiry(raw_client, client, ada):
    rules = raw_client.http.get("/v1/admin/rules").json_body
    bad = raw_client.http.put("/v1/admin/rules", headers=JSON,
                              body=json.dumps({**rules, "credit": {"default_lifetime_days": 0, "x": 1}}))
    assert bad.status_code == 400
    assert {d["field"] for d in bad.json_body["error"]["details"]} == {"credit.default_lifetime_days", "credit.x"}
    good = raw_client.http.put("/v1/admin/rules", headers=JSON,
                               body=json.dumps({**rules, "credit": {"default_lifetime_days": None}}))
    assert good.status_code == 200, good.json_body
    assert grant(raw_client, ada, 500).json_body["credit_granted"]["expires_at"] is None


def test_the_pet_shop_story_the_broken_timer_becomes_credit_the_regular_spends(client, raw_client, customer_token):
    """A regular of twenty orders reports a broken £10 timer past its return window: support
    asks, the policy approves, the ready grant makes it spendable credit, the customer sees it,
    the next order spends it, and support sees who granted what and where it went."""
    now = datetime.now(timezone.utc)
    put(client, "/v1/customers/tom", {"name": "Tom"})
    for number in range(20):
        placed = now - timedelta(days=35 * number + 3)
        assert post(client, "/v1/customers/tom/orders",
                    order_body(f"t-{number}", placed.isoformat(), unit=2500, quantity=1)).status_code == 201

    advice = admin_post(raw_client, "/v1/admin/customers/tom/goodwill",
                        {"cost": 1000, "reason": "aquarium timer broke past the return window"}).json_body
    assert advice["recommendation"] == "approve"
    ready = advice["grant_with"]
    granted = raw_client.http.request(ready["method"], ready["path"], headers={**JSON, "X-Operator": "dana"},
                                      body=json.dumps(ready["body"]).encode())
    assert granted.status_code == 201, granted.json_body
    assert granted.json_body["credit_granted"]["amount"] == {"amount": 1000, "currency": "GBP"}

    token = {"Authorization": f"Bearer {customer_token('tom')}"}
    me = raw_client.http.get("/v1/me", headers=token).json_body
    assert me["credit"]["balance"] == {"amount": 1000, "currency": "GBP"}
    assert "£10.00 of store credit" in me["credit"]["text"]

    lines = [{"sku": "TIMER", "category": "aquarium", "quantity": 1, "unit_amount": 1000},
             {"sku": "FLAKES", "category": "aquarium", "quantity": 1, "unit_amount": 650}]
    body = quote(client, "tom", lines=lines).json_body
    assert body["credit"]["applied"] == {"amount": 1000, "currency": "GBP"}
    placed = post(client, "/v1/customers/tom/orders", order_from(body, "t-next", lines))
    assert placed.status_code == 201, placed.json_body
    assert placed.json_body["credit"]["applied"]["amount"] == 1000
    assert raw_client.http.get("/v1/me", headers=token).json_body["credit"]["balance"]["amount"] == 0

    view = raw_client.http.get("/v1/admin/customers/tom").json_body
    [timer] = view["credit"]["grants"]
    assert (timer["source"], timer["granted_by"], timer["reason"]) == (
        "goodwill", "local:dana", "aquarium timer broke past the return window")
    assert timer["spent"]["amount"] == 1000 and timer["status"] == "used"
    spends = [row for row in view["credit"]["movements"] if row["kind"] == "spent"]
    assert [(row["order_id"], row["amount"]["amount"]) for row in spends] == [("t-next", 1000)]
    assert view["stats"]["goodwill_granted"]["amount"] == 1000


def test_an_erasure_keeps_the_balance_and_erases_the_reasons_of_credit(client, raw_client, ada):
    grant(raw_client, ada, 1000)
    post(client, "/v1/customers/ada/orders", order_body("o-5", (NOW - timedelta(days=1)).isoformat(), unit=900, quantity=1))
    post(client, "/v1/customers/ada/orders/o-5/events",
         {"event_id": "r-5", "type": "refunded", "at": datetime.now(timezone.utc).isoformat(), "amount": 300,
          "as_store_credit": True, "reason": "Ada rang from 12 Acacia Road"})
    erased = raw_client.http.delete("/v1/admin/customers/ada/personal-data", headers={"X-Operator": "dana"})
    assert erased.status_code == 200, erased.json_body
    assert erased.json_body["credit_reasons_erased"] == 4  # two grants, two journal lines
    view = raw_client.http.get("/v1/admin/customers/ada").json_body["credit"]
    assert view["balance"] == {"amount": 1300, "currency": "GBP"}
    assert "Acacia" not in json.dumps(view) and "parcel arrived late" not in json.dumps(view)
    assert {g["granted_by"] for g in view["grants"]} == {"local:dana", "api"}


def test_credit_for_an_unknown_customer_is_a_404_with_nothing_written(raw_client, client, table):
    before = item_count(table)
    answer = grant(raw_client, "nobody", 1000)
    assert answer.status_code == 404, answer.json_body
    assert item_count(table) == before


def test_credit_granted_spent_and_given_back_are_business_metrics(client, raw_client, ada, capsys):
    grant(raw_client, ada, 1000)
    body = quote(client, ada).json_body
    post(client, "/v1/customers/ada/orders", order_from(body, "o-1"))
    post(client, "/v1/customers/ada/orders/o-1/events", {"event_id": "c", "type": "cancelled", "at": NOW.isoformat()})
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    figures = {(name, doc.get("source")): doc[name] for doc in documents
               for name in ("CreditGranted", "CreditSpent", "CreditReturned") if name in doc}
    assert figures == {("CreditGranted", "manual"): [1000.0], ("CreditSpent", None): [1000.0],
                       ("CreditReturned", None): [1000.0]}


def test_a_merged_orders_credit_goes_back_to_the_grants_it_came_from(client, raw_client, ada):
    put(client, "/v1/customers/ada-old", {"name": "Ada"})
    grant(raw_client, "ada-old", 1000)
    grant(raw_client, ada, 300)  # the target's own adj-adj-1: the moved grant arrives renamed
    body = quote(client, "ada-old").json_body
    assert post(client, "/v1/customers/ada-old/orders", order_from(body, "o-m")).status_code == 201
    assert admin_post(raw_client, "/v1/admin/customers/ada/merge", {"source_customer_id": "ada-old"}).status_code == 200
    assert balance(client, "ada")["amount"] == 300
    refund = post(client, "/v1/customers/ada/orders/o-m/events",
                  {"event_id": "r", "type": "refunded", "at": NOW.isoformat(), "amount": 2499, "as_store_credit": True})
    assert refund.status_code == 201, refund.json_body
    assert refund.json_body["credit_returned"]["amount"] == 1000
    assert refund.json_body["store_credit_granted"]["amount"] == {"amount": 1499, "currency": "GBP"}
    # the grant it was spent from moved with the merge: the credit comes back to it, on ada
    assert balance(client, "ada-old")["amount"] == 0
    assert balance(client, "ada")["amount"] == 300 + 1000 + 1499
    grants = {g["grant_id"]: g for g in raw_client.http.get("/v1/admin/customers/ada").json_body["credit"]["grants"]}
    assert grants["adj-adj-1@ada-old"]["returned"]["amount"] == 1000
    assert grants["adj-adj-1"]["returned"]["amount"] == 0


def test_an_expired_token_keeps_its_credit_when_it_is_still_there(client, raw_client, ada, with_settings):
    import time

    grant(raw_client, ada, 1000)
    with_settings(LOYALTY_QUOTE_TTL_SECONDS="1")
    body = quote(client, ada).json_body
    time.sleep(1.2)
    placed = post(client, "/v1/customers/ada/orders", order_from(body, "o-late"))
    assert placed.status_code == 201, placed.json_body
    assert placed.json_body["quote"]["re_evaluated"] is True
    assert placed.json_body["credit"]["applied"]["amount"] == 1000
    assert balance(client, ada)["amount"] == 0


def _credit_items(table, customer_id):
    import boto3

    items = boto3.client("dynamodb").query(
        TableName=table, KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CUSTOMER#{customer_id}"}})["Items"]
    return {item["sk"]["S"]: item for item in items
            if item["sk"]["S"].startswith(("PROFILE#CREDIT#", "EXPIRY#CREDIT#"))}


def test_a_merge_moves_the_sources_store_credit_to_the_target(client, raw_client, table, ada):
    put(client, "/v1/customers/old-ada", {"name": "Ada"})
    expires = (NOW + timedelta(days=30)).replace(microsecond=0)
    assert grant(raw_client, "old-ada", 5000, expires_at=expires.isoformat()).status_code in (200, 201)
    assert grant(raw_client, ada, 700).status_code in (200, 201)  # the same adjustment id on the target
    before = {grant_["grant_id"]: grant_ for grant_ in
              raw_client.http.get("/v1/admin/customers/old-ada").json_body["credit"]["grants"]}
    merged = admin_post(raw_client, "/v1/admin/customers/ada/merge", {"source_customer_id": "old-ada"})
    assert merged.status_code == 200, merged.json_body
    assert balance(client, "ada") == {"amount": 5700, "currency": "GBP"}
    assert balance(client, "old-ada") == {"amount": 0, "currency": "GBP"}
    assert merged.json_body["credit_grants_moved"] == 1
    quoted = quote(client, "ada").json_body
    assert quoted["credit"]["available"] == {"amount": 5700, "currency": "GBP"}
    assert quoted["credit"]["expires_soonest"]["at"] == expires.isoformat().replace("+00:00", "Z")

    view = raw_client.http.get("/v1/admin/customers/ada").json_body["credit"]
    [moved] = [g for g in view["grants"] if g["amount"]["amount"] == 5000]
    original = before["adj-adj-1"]
    assert {k: v for k, v in moved.items() if k != "grant_id"} == {k: v for k, v in original.items() if k != "grant_id"}
    assert moved["grant_id"] == "adj-adj-1@old-ada"  # the target had its own adj-adj-1
    assert [(m["kind"], m["amount"]["amount"]) for m in view["movements"] if m["kind"].startswith("moved")] == [
        ("moved_in", 5000)]
    source_view = raw_client.http.get("/v1/admin/customers/old-ada").json_body["credit"]
    assert source_view["grants"] == []
    assert [(m["kind"], m["amount"]["amount"]) for m in source_view["movements"]] == [("moved_out", 5000), ("granted", 5000)]
    # the expiry marker moved with it: one on the target, none left on the source
    assert "EXPIRY#CREDIT#adj-adj-1@old-ada" in _credit_items(table, "ada")
    assert _credit_items(table, "old-ada") == {}

    again = admin_post(raw_client, "/v1/admin/customers/ada/merge", {"source_customer_id": "old-ada"})
    assert again.status_code == 200 and again.json_body["credit_grants_moved"] == 0
    assert balance(client, "ada") == {"amount": 5700, "currency": "GBP"}
