"""Concurrency on AWS's DynamoDB Local (moto would lose concurrent updates; this does not).

Each thread plays one Lambda invocation calling the same service functions the routes call.
"""
import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.api.parsing import parse_event, parse_order
from chalicelib.domain.errors import NotFound, Unprocessable
from chalicelib.services import customers, orders
from chalicelib.store import models
from chalicelib.services.rules import forget_cached_rules
from chalicelib.store.table import create_table

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def local_table(dynamodb_local_endpoint):
    """A fresh table in DynamoDB Local for one test; models point back at moto's defaults afterwards."""
    name = f"loyalty-conformance-{uuid.uuid4().hex[:8]}"
    models.configure(name, "eu-west-2", dynamodb_local_endpoint)
    create_table()
    yield name
    models.TableItem.delete_table()
    models.configure("loyalty-test", "eu-west-2", None)
    forget_cached_rules()


def submission(order_id, unit=1999, placed_at="2026-11-01T10:00:00Z"):
    return parse_order({
        "order_id": order_id, "placed_at": placed_at, "currency": "GBP",
        "lines": [{"sku": "SHOE", "category": "running-shoes", "quantity": 1, "unit_amount": unit}],
        "total_amount": unit,
    }, NOW)


def run_parallel(calls, threads=8):
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def test_eight_threads_of_fifty_orders_for_one_customer_count_exactly(local_table):
    rng = random.Random(3)
    units = [rng.randint(100, 50000) for _ in range(400)]
    times = [(NOW - timedelta(days=rng.randint(1, 900), minutes=n)).isoformat() for n in range(400)]

    def thread_work(thread):
        for n in range(thread * 50, thread * 50 + 50):
            status, _ = orders.record_order("busy", submission(f"o-{n}", units[n], times[n]), now=NOW)
            assert status == 201

    run_parallel([lambda t=t: thread_work(t) for t in range(8)])
    stats = customers.customer_summary("busy", now=NOW)["stats"]
    assert stats["lifetime"]["orders"] == 400
    assert stats["lifetime"]["net_spend"]["amount"] == sum(units)
    assert stats["first_order_at"] == min(datetime.fromisoformat(t) for t in times).isoformat().replace("+00:00", "Z")
    assert stats["last_order_at"] == max(datetime.fromisoformat(t) for t in times).isoformat().replace("+00:00", "Z")


def test_twenty_concurrent_replays_of_one_order_give_one_ledger_entry(local_table):
    results = run_parallel([lambda: orders.record_order("c-1", submission("same"), now=NOW) for _ in range(20)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 19 + [201]
    assert all(body == results[0][1] for _, body in results)
    entries, _ = customers.ledger("c-1", 100, None)
    assert len(entries) == 1
    assert customers.customer_summary("c-1", now=NOW)["stats"]["lifetime"]["orders"] == 1


@pytest.mark.parametrize("round_", range(5))
def test_a_refund_racing_another_refund_never_exceeds_the_order(local_table, round_):
    order_id = f"race-{round_}"
    orders.record_order("c-1", submission(order_id, unit=10000), now=NOW)

    def refund(event_id):
        event, canonical = parse_event({"event_id": event_id, "type": "refunded",
                                        "at": "2026-11-02T10:00:00Z", "amount": 6000}, NOW)
        try:
            return orders.record_event("c-1", order_id, event, canonical, now=NOW)[0]
        except Unprocessable:
            return 422

    statuses = sorted(run_parallel([lambda: refund("r-a"), lambda: refund("r-b")], threads=2))
    assert statuses == [201, 422]
    summary = customers.customer_summary("c-1", now=NOW)["stats"]
    assert summary["lifetime"]["net_spend"]["amount"] == 10000 - 6000


def test_concurrent_events_on_different_orders_all_count(local_table):
    for n in range(20):
        orders.record_order("c-1", submission(f"o-{n}", unit=1000), now=NOW)

    def refund(n):
        event, canonical = parse_event({"event_id": "r", "type": "refunded", "at": "2026-11-02T10:00:00Z",
                                        "amount": 100 + n}, NOW)
        return orders.record_event("c-1", f"o-{n}", event, canonical, now=NOW)[0]

    assert run_parallel([lambda n=n: refund(n) for n in range(20)]) == [201] * 20
    stats = customers.customer_summary("c-1", now=NOW)["stats"]
    assert stats["refunds"] == 20
    assert stats["lifetime"]["net_spend"]["amount"] == 20 * 1000 - sum(100 + n for n in range(20))


def test_a_parallel_import_gives_the_same_aggregates_as_orders_one_by_one(local_table):
    import io

    from chalicelib.api.import_rows import read_import_file
    from chalicelib.services.importer import import_orders

    rows = ["customer_id,order_id,placed_at,currency,total_amount,status,refunded_amount,sku,category"]
    for n in range(240):
        status = "cancelled" if n % 13 == 4 else ("refunded" if n % 5 == 0 else "delivered")
        refunded = str(100 + n) if status == "refunded" else ""
        rows.append(f"imp-{n % 12},x-{n},20{20 + n % 6}-{1 + n % 12:02d}-1{n % 9}T08:00:00Z,GBP,{2000 + n},"
                    f"{status},{refunded},S,c")
    report = import_orders(read_import_file(io.StringIO("\n".join(rows)), "h.csv", NOW), now=NOW, workers=8)
    assert report.imported == 240 and not report.rejected

    for line in rows[1:]:
        customer, order_id, placed, _, total, status, refunded, _, _ = line.split(",")
        api_customer = "api-" + customer
        orders.record_order(api_customer, submission("a" + order_id, int(total), placed), now=NOW)
        for event_id, kind, extra in (("d", "delivered", {}), ("r", "refunded", {"amount": int(refunded or 0)}),
                                      ("c", "cancelled", {})):
            wanted = {"delivered": status != "cancelled", "refunded": bool(refunded), "cancelled": status == "cancelled"}
            if wanted[kind]:
                event, canonical = parse_event({"event_id": event_id, "type": kind, "at": placed, **extra}, NOW)
                orders.record_event(api_customer, "a" + order_id, event, canonical, now=NOW)
    for n in range(12):
        imported = customers.customer_summary(f"imp-{n}", now=NOW)["stats"]
        by_api = customers.customer_summary(f"api-imp-{n}", now=NOW)["stats"]
        assert imported == by_api


def test_thirty_racing_commits_against_a_budget_of_ten_give_exactly_ten(local_table):
    from chalicelib.api.parsing import parse_quote
    from chalicelib.domain.errors import PromotionUnavailable
    from chalicelib.domain.rules import load_default_rules
    from chalicelib.services import quotes, rules

    document = load_default_rules().to_document()
    document["promotions"] = [{"code": "TENONLY", "description": "£5 off, ten orders only", "kind": "amount_off",
                               "amount": 500, "budget": 10, "stackable": True, "priority": 1}]
    rules.replace_rules(document)
    now = datetime.now(timezone.utc)
    tokens = [quotes.create_quote(parse_quote({
        "customer_id": f"racer-{n}", "currency": "GBP", "promo_codes": ["TENONLY"],
        "lines": [{"sku": "SHOE", "category": "running-shoes", "quantity": 1, "unit_amount": 1999}],
    }), now=now)["quote_token"] for n in range(30)]

    def commit(n):
        body = {"order_id": f"race-{n}", "placed_at": now.isoformat(), "currency": "GBP", "total_amount": 1499,
                "lines": [{"sku": "SHOE", "category": "running-shoes", "quantity": 1, "unit_amount": 1999,
                           "discount_amount": 500}], "quote_token": tokens[n]}
        try:
            return orders.record_order(f"racer-{n}", parse_order(body, now), now=now)[0]
        except PromotionUnavailable:
            return 409

    statuses = run_parallel([lambda n=n: commit(n) for n in range(30)])
    assert statuses.count(201) == 10 and statuses.count(409) == 20
    committed = [n for n, status in enumerate(statuses) if status == 201]
    assert sum(customers.customer_summary(f"racer-{n}", now=now)["stats"]["lifetime"]["orders"]
               for n in committed) == 10
    for n, status in enumerate(statuses):
        if status == 409:
            with pytest.raises(NotFound):
                customers.customer_summary(f"racer-{n}", now=now)


HOME = {"line1": "27 Meadow Lane", "city": "Harrogate", "postcode": "HG1 2AB", "country": "GB"}


@pytest.mark.parametrize("round_", range(2))
def test_writers_racing_on_one_address_entry_keep_the_earliest_use_and_the_latest_delivery(local_table, round_):
    """API orders, an import of older history and late ``delivered`` webhooks all write the same
    address book entry at once, newest first where it hurts: the entry ends at the earliest
    order and the latest delivery (an update expression has no min or max; the conditions do)."""
    import io
    import threading

    from chalicelib.api.import_rows import read_import_file
    from chalicelib.services.importer import import_orders

    rng = random.Random(round_)
    placed = sorted((NOW - timedelta(days=rng.randint(3, 400), minutes=n) for n in range(8)), reverse=True)
    start = threading.Barrier(9)

    def api_order(n):
        body = {"order_id": f"o-{n}", "placed_at": placed[n].isoformat(), "currency": "GBP",
                "lines": [{"sku": "SHOE", "category": "running-shoes", "quantity": 1, "unit_amount": 1999}],
                "total_amount": 1999, "shipping_address": HOME}
        start.wait()
        assert orders.record_order("c-1", parse_order(body, NOW), now=NOW)[0] == 201

    history = ["customer_id,order_id,placed_at,currency,total_amount,status,delivered_at,sku,category,"
               "shipping_line1,shipping_city,shipping_postcode,shipping_country"]
    history += [f"c-1,h-{year},{year}-06-01T10:00:00Z,GBP,5000,delivered,{year}-06-03T10:00:00Z,S,c,"
                f"{HOME['line1']},{HOME['city']},{HOME['postcode']},GB" for year in (2019, 2021, 2023)]

    def import_history():
        start.wait()
        report = import_orders(read_import_file(io.StringIO("\n".join(history)), "h.csv", NOW), now=NOW)
        assert report.imported == 3 and not report.rejected

    run_parallel([lambda n=n: api_order(n) for n in range(8)] + [import_history], threads=9)

    delivered = [placed[n] + timedelta(days=2) for n in range(8)]
    webhooks = threading.Barrier(8)

    def deliver(n):
        event, canonical = parse_event({"event_id": "d", "type": "delivered", "at": delivered[n].isoformat()}, NOW)
        webhooks.wait()
        assert orders.record_event("c-1", f"o-{n}", event, canonical, now=NOW)[0] == 201

    run_parallel([lambda n=n: deliver(n) for n in range(8)], threads=8)

    [entry] = list(models.AddressItem.scan())
    assert entry.first_used_at == datetime(2019, 6, 1, 10, 0, tzinfo=timezone.utc)
    assert entry.last_delivery_at == max(delivered)
    assert (int(entry.orders_shipped), int(entry.deliveries_confirmed)) == (11, 11)
