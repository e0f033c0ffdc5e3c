"""A merge moves each order in one TransactWriteItems; DynamoDB refuses more than 100 items.

The merge counts the very transaction it will send, so an order at exactly the limit moves
and an order one step past it is refused before anything moves (a 422, not a 500 that every
retry repeats). Proven here on DynamoDB Local, whose limit is DynamoDB's.
"""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.api.parsing import parse_event, parse_order, parse_quote
from chalicelib.domain.errors import Unprocessable
from chalicelib.domain.rules import load_default_rules
from chalicelib.services import customers, merge, orders, quotes
from chalicelib.services.rules import forget_cached_rules, replace_rules
from chalicelib.store import models
from chalicelib.store.table import create_table

NOW = datetime.now(timezone.utc).replace(microsecond=0)
CODES = ["ONE", "TWO", "THREE"]
HOME = {"line1": "27 Meadow Lane", "city": "Harrogate", "postcode": "HG1 2AB", "country": "GB"}


@pytest.fixture
def local_table(dynamodb_local_endpoint):
    name = f"loyalty-conformance-{uuid.uuid4().hex[:8]}"
    models.configure(name, "eu-west-2", dynamodb_local_endpoint)
    forget_cached_rules()
    create_table()
    yield name
    models.TableItem.delete_table()
    models.configure("loyalty-test", "eu-west-2", None)
    forget_cached_rules()


def order_with_claims_and_refunds(customer_id, order_id, refunds):
    """An order shipped home that claimed three once-per-customer offers, then ``refunds`` refunds
    of 1p: moving it writes 2 items per ledger entry (1 + refunds), the order, two profiles,
    two days, two months, the address and 2 per claim: 2 * refunds + 16 items."""
    customers.upsert_profile(customer_id, {"name": "Guest"}, now=NOW)
    lines = [{"sku": "RUN-1", "category": "running-shoes", "quantity": 1, "unit_amount": 12000}]
    quote = quotes.create_quote(parse_quote({"customer_id": customer_id, "currency": "GBP", "lines": lines,
                                             "promo_codes": CODES}), now=NOW)
    assert {d["code"] for d in quote["discounts"]} == set(CODES)
    lines[0]["discount_amount"] = 12000 - quote["totals"]["total"]["amount"]
    body = {"order_id": order_id, "placed_at": NOW.isoformat(), "currency": "GBP", "lines": lines,
            "total_amount": quote["totals"]["total"]["amount"], "quote_token": quote["quote_token"],
            "shipping_address": HOME}
    assert orders.record_order(customer_id, parse_order(body, NOW), now=NOW)[0] == 201
    for number in range(refunds):
        event = {"event_id": f"r-{number}", "type": "refunded", "at": (NOW + timedelta(minutes=1)).isoformat(),
                 "amount": 1}
        assert orders.record_event(customer_id, order_id, *parse_event(event, NOW), now=NOW)[0] == 201


def test_a_merge_at_the_transaction_limit_moves_and_one_past_it_is_refused_before_anything_moves(local_table):
    document = load_default_rules().to_document()
    document["promotions"] = [{"code": code, "description": code, "kind": "percent_off", "percent": "10",
                               "stackable": True, "priority": 1, "per_customer_limit": 1} for code in CODES]
    replace_rules(document, created_by="test", now=NOW)
    customers.upsert_profile("ben", {"name": "Ben"}, now=NOW)
    order_with_claims_and_refunds("guest-full", "g-full", refunds=42)  # 100 items
    order_with_claims_and_refunds("guest-big", "g-big", refunds=43)  # 102 items: 44 entries + 3 claims

    assert merge.merge_customers("ben", "guest-full", "dana", now=NOW)["orders_moved"] == 1
    assert customers.customer_summary("ben", now=NOW)["stats"]["lifetime"]["orders"] == 1

    before = customers.ledger("guest-big", 100, None)
    with pytest.raises(Unprocessable) as refused:
        merge.merge_customers("ben", "guest-big", "dana", now=NOW)
    assert "g-big" in refused.value.message
    assert customers.ledger("guest-big", 100, None) == before
    assert customers.customer_summary("ben", now=NOW)["stats"]["lifetime"]["orders"] == 1
