"""The customer's own app: tier and progress in plain words, history, addresses; a customer's
token reaches that customer only, whatever the request says."""
from datetime import datetime, timedelta, timezone

from .helpers import order_body, post, put

NOW = datetime.now(timezone.utc)
HOME = {"line1": "27 Meadow Lane", "city": "Harrogate", "postcode": "HG1 2AB", "country": "GB"}


def me(raw_client, token, path="/v1/me"):
    return raw_client.http.get(path, headers={"Authorization": f"Bearer {token}"})


def test_a_customer_sees_tier_progress_history_and_addresses(client, raw_client, customer_token):
    put(client, "/v1/customers/ben", {"name": "Ben"})
    for number in range(2):
        post(client, "/v1/customers/ben/orders",
             order_body(f"b-{number}", (NOW - timedelta(days=10 * (number + 1))).isoformat(), unit=6000, quantity=1,
                        shipping_address=HOME))
    raw_client.http.post("/v1/admin/customers/ben/adjustments", headers={"Content-Type": "application/json"},
                         body=b'{"adjustment_id": "n-1", "kind": "note", "text": "staff only: prefers email"}')
    token = customer_token("ben")
    status = me(raw_client, token).json_body
    assert status["customer_id"] == "ben" and status["name"] == "Ben"
    assert status["next_tier"]["progress"].startswith("1 more order or £")
    assert status["last_12_months"]["orders"] == 2
    assert all(entry["type"] != "note" for entry in status["recent_history"])
    ledger = me(raw_client, token, "/v1/me/ledger?limit=1").json_body
    assert len(ledger["entries"]) == 1 and ledger["next_cursor"]
    addresses = me(raw_client, token, "/v1/me/addresses").json_body["addresses"]
    assert addresses[0]["address"]["line1"] == "27 Meadow Lane" and addresses[0]["orders_shipped"] == 2


def test_a_customer_token_reaches_only_its_own_customer(client, raw_client, customer_token):
    put(client, "/v1/customers/ann", {"name": "Ann"})
    put(client, "/v1/customers/bob", {"name": "Bob"})
    answer = raw_client.http.get("/v1/me?customer_id=bob", headers={"Authorization": f"Bearer {customer_token('ann')}"})
    assert answer.json_body["customer_id"] == "ann"
    assert me(raw_client, customer_token("bob")).json_body["customer_id"] == "bob"


def test_a_customer_without_a_record_yet_gets_a_404(raw_client, customer_token):
    assert me(raw_client, customer_token("brand-new")).status_code == 404
