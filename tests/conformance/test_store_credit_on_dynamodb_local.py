"""Store credit under races, on DynamoDB Local (moto loses concurrent updates; this does not).

Each thread plays one Lambda invocation calling the services the routes call: spends are
conditioned on each grant's balance and expiry, give-backs ride on the order's version."""
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from chalicelib.api.parsing import parse_adjustment, parse_event, parse_order, parse_quote
from chalicelib.domain.errors import CreditUnavailable
from chalicelib.services import customers, orders, quotes, support


def run_parallel(calls, threads=10):
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(call) for call in calls]
        outcomes = []
        for future in futures:
            try:
                outcomes.append(future.result())
            except CreditUnavailable as refused:
                outcomes.append(refused)
        return outcomes


def grant(customer_id, adjustment_id, amount, now):
    body = {"kind": "store_credit", "adjustment_id": adjustment_id, "amount": amount, "currency": "GBP",
            "reason": "conformance"}
    assert support.adjust(customer_id, parse_adjustment(body, now), "local:test", now=now)[0] == 201


def order_with_credit(customer_id, order_id, use_credit, now, unit=1000):
    lines = [{"sku": "TANK", "category": "aquarium", "quantity": 1, "unit_amount": unit}]
    quote = quotes.create_quote(parse_quote({"customer_id": customer_id, "currency": "GBP", "lines": lines,
                                             "use_credit": use_credit}), now=now)
    return parse_order({"order_id": order_id, "placed_at": (now - timedelta(minutes=1)).isoformat(),
                        "currency": "GBP", "lines": [{**lines[0], "discount_amount": 0}], "total_amount": unit,
                        "quote_token": quote["quote_token"]}, now), quote


def balance(customer_id, now):
    return customers.customer_summary(customer_id, now=now)["credit"]["balance"]["amount"]


def test_twenty_concurrent_orders_spending_the_whole_balance_give_exactly_one_success(local_app):
    now = datetime.now(timezone.utc)
    customers.upsert_profile("racer", {"name": "Racer"}, now=now)
    grant("racer", "g-1", 1000, now)
    submissions = []
    for n in range(20):
        submission, quote = order_with_credit("racer", f"race-{n}", True, now)
        assert quote["credit"]["applied"]["amount"] == 1000
        submissions.append(submission)

    outcomes = run_parallel([lambda s=s: orders.record_order("racer", s, now=now) for s in submissions])
    placed = [o for o in outcomes if not isinstance(o, CreditUnavailable)]
    refused = [o for o in outcomes if isinstance(o, CreditUnavailable)]
    assert [status for status, _ in placed] == [201]
    assert len(refused) == 19 and {r.code for r in refused} == {"credit_unavailable"}
    assert balance("racer", now) == 0
    stats = customers.customer_summary("racer", now=now)["stats"]
    assert stats["lifetime"]["orders"] == 1  # the refused orders wrote nothing
    entries, _ = customers.ledger("racer", 100, None)
    assert sum(1 for e in entries if e["type"] == "order_placed") == 1
    assert [m["kind"] for m in support.customer_360("racer", now=now)["credit"]["movements"]].count("spent") == 1


def test_ten_concurrent_cancellations_and_refunds_with_a_spend_give_back_exactly_what_was_spent(local_app):
    now = datetime.now(timezone.utc)
    customers.upsert_profile("busy", {"name": "Busy"}, now=now)
    grant("busy", "g-1", 700, now)  # two grants, so spends and give-backs cross grants
    grant("busy", "g-2", 300, now)
    for n in range(8):
        submission, _ = order_with_credit("busy", f"o-{n}", 125, now)
        assert orders.record_order("busy", submission, now=now)[0] == 201
    assert balance("busy", now) == 0
    grant("busy", "g-3", 500, now)
    racing_spend, quote = order_with_credit("busy", "o-late", True, now)
    assert quote["credit"]["applied"]["amount"] == 500

    def event(order_id, event_id, kind, amount=None):
        body = {"event_id": event_id, "type": kind, "at": now.isoformat()}
        if amount is not None:
            body["amount"] = amount
        parsed, canonical = parse_event(body, now)
        return lambda: orders.record_event("busy", order_id, parsed, canonical, now=now)

    calls = [event(f"o-{n}", "cancel", "cancelled") for n in range(4)]
    calls += [event(f"o-{n}", "refund", "refunded", 1000) for n in range(4, 6)]
    calls += [event("o-6", "part-1", "refunded", 400), event("o-6", "part-2", "refunded", 600)]  # racing on one order
    calls += [event("o-7", "part-1", "refunded", 250), event("o-7", "part-2", "refunded", 750)]
    calls.append(lambda: orders.record_order("busy", racing_spend, now=now))
    outcomes = run_parallel(calls, threads=11)
    assert [status for status, _ in outcomes] == [201] * 11

    returned = sum(body.get("credit_returned", {}).get("amount", 0) for _, body in outcomes[:10])
    assert returned == 8 * 125  # every penny spent by the eight orders, no more
    assert balance("busy", now) == 1000  # 1500 granted - 1500 spent + 1000 given back
    view = support.customer_360("busy", now=now)["credit"]
    assert (view["granted"]["amount"], view["spent"]["amount"], view["returned"]["amount"]) == (1500, 1500, 1000)
