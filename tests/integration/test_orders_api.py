"""Orders and events through the HTTP API (Chalice test client on moto)."""
import json

from .helpers import item_count, order_body, post, put


def customer(client, customer_id="c-1"):
    response = client.http.get(f"/v1/customers/{customer_id}")
    assert response.status_code == 200, response.json_body
    return response.json_body


def test_health_reports_the_backend_and_the_table(client):
    response = client.http.get("/v1/health")
    assert response.status_code == 200
    assert response.json_body["backend"] == "moto"
    assert response.json_body["table"] == {"name": "loyalty-test", "exists": True}


def test_profile_is_created_then_updated_and_null_clears_a_field(client):
    created = put(client, "/v1/customers/c-1", {"email": "Ben@Example.com", "name": "Ben", "country": "GB",
                                                "created_at": "2019-04-01T09:00:00+01:00"})
    assert created.status_code == 200
    assert created.json_body["profile"]["created_at"] == "2019-04-01T08:00:00Z"
    updated = put(client, "/v1/customers/c-1", {"name": None, "phone": "+44 20 7946 0958"})
    profile = updated.json_body["profile"]
    assert profile["name"] is None and profile["email"] == "Ben@Example.com" and profile["phone"]


def test_an_unknown_customer_is_a_404_in_the_error_shape(client):
    response = client.http.get("/v1/customers/nobody")
    assert response.status_code == 404
    assert response.json_body["error"]["code"] == "not_found"


def test_an_order_for_an_unknown_customer_creates_a_minimal_profile(client):
    response = post(client, "/v1/customers/new-1/orders", order_body())
    assert response.status_code == 201
    stats = customer(client, "new-1")["stats"]
    assert stats["lifetime"]["orders"] == 1
    assert stats["lifetime"]["net_spend"] == {"amount": 10000, "currency": "GBP"}
    assert stats["first_order_at"] == stats["last_order_at"] == "2026-11-01T10:00:00Z"


def test_replaying_an_order_returns_the_original_result_and_counts_nothing_twice(client, table):
    first = post(client, "/v1/customers/c-1/orders", order_body())
    items = item_count(table)
    again = post(client, "/v1/customers/c-1/orders", order_body())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json_body == first.json_body
    assert item_count(table) == items
    assert customer(client)["stats"]["lifetime"]["orders"] == 1


def test_the_same_order_id_with_a_different_body_is_a_conflict(client):
    post(client, "/v1/customers/c-1/orders", order_body())
    changed = post(client, "/v1/customers/c-1/orders", order_body(unit=4000))
    assert changed.status_code == 409
    assert changed.json_body["error"]["code"] == "conflict"
    elsewhere = post(client, "/v1/customers/c-2/orders", order_body())
    assert elsewhere.status_code == 409


def test_first_and_last_order_and_rolling_stats(client):
    for number, placed in enumerate(["2026-06-01T10:00:00Z", "2024-01-05T10:00:00Z", "2026-11-20T08:00:00Z"]):
        assert post(client, "/v1/customers/c-1/orders", order_body(f"o-{number}", placed)).status_code == 201
    stats = customer(client)["stats"]
    assert stats["first_order_at"] == "2024-01-05T10:00:00Z"
    assert stats["last_order_at"] == "2026-11-20T08:00:00Z"
    assert stats["lifetime"]["orders"] == 3
    assert stats["rolling_12_months"]["orders"] == 2
    assert stats["rolling_12_months"]["net_spend"]["amount"] == 20000


def test_refunds_and_returns_reduce_net_spend_and_can_never_exceed_the_order(client):
    post(client, "/v1/customers/c-1/orders", order_body(discount=500))  # 9,500
    refund = post(client, "/v1/customers/c-1/orders/o-1/events",
                  {"event_id": "r-1", "type": "refunded", "at": "2026-11-02T10:00:00Z", "amount": 1000})
    assert refund.status_code == 201
    assert refund.json_body["order"]["remaining"] == {"amount": 8500, "currency": "GBP"}
    returned = post(client, "/v1/customers/c-1/orders/o-1/events",
                    {"event_id": "r-2", "type": "returned", "at": "2026-11-03T10:00:00Z",
                     "lines": [{"sku": "SHOE", "quantity": 1}]})
    assert returned.json_body["amount"] == {"amount": 4750, "currency": "GBP"}
    too_much = post(client, "/v1/customers/c-1/orders/o-1/events",
                    {"event_id": "r-3", "type": "refunded", "at": "2026-11-04T10:00:00Z", "amount": 3751})
    assert too_much.status_code == 422
    stats = customer(client)["stats"]
    assert stats["lifetime"]["net_spend"]["amount"] == 9500 - 1000 - 4750
    assert (stats["refunds"], stats["returns"]) == (1, 1)


def test_events_are_idempotent_by_event_id(client, table):
    post(client, "/v1/customers/c-1/orders", order_body())
    body = {"event_id": "r-1", "type": "refunded", "at": "2026-11-02T10:00:00Z", "amount": 1000}
    first = post(client, "/v1/customers/c-1/orders/o-1/events", body)
    items = item_count(table)
    again = post(client, "/v1/customers/c-1/orders/o-1/events", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json_body == first.json_body
    assert item_count(table) == items
    different = post(client, "/v1/customers/c-1/orders/o-1/events", dict(body, amount=999))
    assert different.status_code == 409
    assert customer(client)["stats"]["lifetime"]["net_spend"]["amount"] == 9000


def test_events_for_an_unknown_order_or_another_customers_order_are_404(client):
    post(client, "/v1/customers/c-1/orders", order_body())
    body = {"event_id": "d-1", "type": "delivered", "at": "2026-11-02T10:00:00Z"}
    assert post(client, "/v1/customers/c-1/orders/nope/events", body).status_code == 404
    assert post(client, "/v1/customers/c-2/orders/o-1/events", body).status_code == 404


def test_a_cancelled_order_leaves_the_aggregates_as_if_it_was_never_placed(client):
    post(client, "/v1/customers/c-1/orders", order_body("o-1", "2026-05-01T10:00:00Z"))
    before = customer(client)["stats"]
    post(client, "/v1/customers/c-1/orders", order_body("o-2", "2026-11-01T10:00:00Z", unit=777))
    post(client, "/v1/customers/c-1/orders/o-2/events",
         {"event_id": "p-1", "type": "refunded", "at": "2026-11-01T11:00:00Z", "amount": 100})
    cancel = post(client, "/v1/customers/c-1/orders/o-2/events",
                  {"event_id": "x-1", "type": "cancelled", "at": "2026-11-01T12:00:00Z"})
    assert cancel.status_code == 201
    after = customer(client)["stats"]
    for key in ("lifetime", "rolling_12_months", "first_order_at", "last_order_at"):
        assert after[key] == before[key], key
    assert after["cancellations"] == 1
    late = post(client, "/v1/customers/c-1/orders/o-2/events",
                {"event_id": "d-9", "type": "delivered", "at": "2026-11-03T10:00:00Z"})
    assert late.status_code == 422


def test_cancelling_the_only_order_clears_first_and_last_order(client):
    post(client, "/v1/customers/c-1/orders", order_body())
    post(client, "/v1/customers/c-1/orders/o-1/events",
         {"event_id": "x-1", "type": "cancelled", "at": "2026-11-01T12:00:00Z"})
    stats = customer(client)["stats"]
    assert stats["first_order_at"] is None and stats["last_order_at"] is None
    assert stats["lifetime"]["orders"] == 0 and stats["lifetime"]["net_spend"]["amount"] == 0


def test_orders_in_another_currency_count_in_the_base_currency(client):
    response = post(client, "/v1/customers/c-1/orders", order_body(currency="USD", unit=10000, quantity=1))
    assert response.status_code == 201
    base = response.json_body["base_total"]
    assert base["currency"] == "GBP" and 0 < base["amount"] < 10000
    assert customer(client)["stats"]["lifetime"]["net_spend"] == base


def test_ledger_pages_newest_first_with_an_opaque_cursor(client):
    for number in range(5):
        post(client, "/v1/customers/c-1/orders", order_body(f"o-{number}", f"2026-0{number + 1}-01T10:00:00Z"))
    first = client.http.get("/v1/customers/c-1/ledger?limit=2").json_body
    assert [entry["order_id"] for entry in first["entries"]] == ["o-4", "o-3"]
    second = client.http.get(f"/v1/customers/c-1/ledger?limit=2&cursor={first['next_cursor']}").json_body
    third = client.http.get(f"/v1/customers/c-1/ledger?limit=2&cursor={second['next_cursor']}").json_body
    assert [entry["order_id"] for entry in second["entries"] + third["entries"]] == ["o-2", "o-1", "o-0"]
    assert third["next_cursor"] is None
    entry = first["entries"][0]
    assert entry["type"] == "order_placed" and entry["entry_id"].startswith("LEDGER#2026-05-01T10:00:00Z#ORDER#o-4")


def test_ledger_limit_is_capped_and_nonsense_is_a_400(client):
    post(client, "/v1/customers/c-1/orders", order_body())
    assert client.http.get("/v1/customers/c-1/ledger?limit=100000").status_code == 200
    assert client.http.get("/v1/customers/c-1/ledger?limit=0").status_code == 400
    assert client.http.get("/v1/customers/c-1/ledger?limit=ten").status_code == 400
    assert client.http.get("/v1/customers/c-1/ledger?cursor=not-a-cursor").status_code == 400
    assert client.http.get("/v1/customers/ghost/ledger").status_code == 404


def test_wrong_method_and_media_type_use_the_one_error_shape(client):
    response = client.http.delete("/v1/customers/c-1")
    assert response.status_code == 405 and response.json_body["error"]["code"] == "method_not_allowed"
    response = client.http.post("/v1/customers/c-1/orders", headers={"Content-Type": "text/plain"},
                                body=json.dumps(order_body()))
    assert response.status_code == 415 and response.json_body["error"]["code"] == "unsupported_media_type"


def test_an_address_entry_changed_since_it_was_read_is_a_retryable_conflict_not_a_used_up_promotion(client):
    """The address book entry's condition sits between the months and the promotion claims in
    the transaction: its failure must read as "read again", never as a promotion used up."""
    from datetime import datetime, timezone

    import pytest

    from chalicelib.api.parsing import parse_order
    from chalicelib.services.orders import build_new_order
    from chalicelib.store import customers as customers_store
    from chalicelib.store import orders as orders_store
    from chalicelib.store.promotions import PromotionClaim
    from chalicelib.store.retry import RetryableConflict

    home = {"line1": "27 Meadow Lane", "city": "Harrogate", "postcode": "HG1 2AB", "country": "GB"}
    assert post(client, "/v1/customers/ben/orders",
                order_body("o-1", "2026-11-01T10:00:00Z", shipping_address=home)).status_code == 201
    now = datetime.now(timezone.utc)
    new_order = build_new_order("ben", parse_order(order_body("o-2", "2026-10-01T10:00:00Z", shipping_address=home),
                                                   now), source="api")
    observed = customers_store.load_profile_stats("ben")
    claims = [PromotionClaim("SPRING", per_customer_limit=3, budget=100)]
    with pytest.raises(RetryableConflict):  # read as absent, but o-1 made the entry meanwhile
        orders_store.commit_orders("ben", [new_order], observed, now, "GBP", promotion_claims=claims,
                                   observed_addresses={})
    _, entries = customers_store.load_write_state("ben", [new_order.address_use.address_id])
    orders_store.commit_orders("ben", [new_order], observed, now, "GBP", promotion_claims=claims,
                               observed_addresses=entries)
    entry = entries[new_order.address_use.address_id]
    assert entry.first_used_at == datetime(2026, 11, 1, 10, tzinfo=timezone.utc)
    _, after = customers_store.load_write_state("ben", [new_order.address_use.address_id])
    assert after[new_order.address_use.address_id].first_used_at == datetime(2026, 10, 1, 10, tzinfo=timezone.utc)
