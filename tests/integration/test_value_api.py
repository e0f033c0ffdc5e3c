"""Customer value and goodwill through the API: the estimates in the support view and /v1/me
come from the purchase days kept at write time, and a goodwill recommendation weighs a
gesture against them and the yearly allowance (docs/customer-value.md)."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from .helpers import JSON, DynamoCalls, order_body, post, put

NOW = datetime.now(timezone.utc)


def admin_post(raw_client, path, body):
    return raw_client.http.post(path, headers={**JSON, "X-Operator": "dana"}, body=json.dumps(body).encode())


def place(client, customer_id, order_id, placed, unit=2500):
    response = post(client, f"/v1/customers/{customer_id}/orders",
                    order_body(order_id, placed.isoformat(), unit=unit, quantity=1))
    assert response.status_code == 201, response.json_body


@pytest.fixture
def regular(client):
    """The pet shop's regular: twenty £25 orders, one every five weeks, the last a few days ago."""
    put(client, "/v1/customers/tom", {"name": "Tom"})
    for number in range(20):
        place(client, "tom", f"t-{number}", NOW - timedelta(days=35 * number + 3))
    return "tom"


def test_the_support_view_shows_what_a_regular_is_likely_worth_as_an_estimate(raw_client, regular):
    value = raw_client.http.get("/v1/admin/customers/tom").json_body["value"]
    assert value["estimate"] is True
    assert value["based_on"]["purchase_days"] == 20
    assert 0.9 < value["probability_active"] <= 1
    assert 5 < value["expected_orders_12m"] < value["expected_orders_5y"]
    assert value["expected_spend_per_order"]["currency"] == "GBP"
    assert 2000 < value["expected_spend_per_order"]["amount"] < 3000
    assert value["expected_value_5y"]["amount"] > 20 * 2500
    assert "Estimates" in value["note"] and "not promises" in value["note"]


def test_a_customer_sees_their_own_estimate_in_plain_words(raw_client, regular, customer_token):
    me = raw_client.http.get("/v1/me", headers={"Authorization": f"Bearer {customer_token('tom')}"}).json_body
    assert me["value"]["expected_orders_12m"] > 5
    assert me["value"]["note"].startswith("Estimates from your past orders")


def test_several_orders_on_one_day_are_one_purchase_and_a_cancelled_day_is_none(client, raw_client):
    day = NOW - timedelta(days=60)
    place(client, "split", "s-1", day)
    place(client, "split", "s-2", day + timedelta(minutes=5))
    place(client, "split", "s-3", NOW - timedelta(days=20))
    value = raw_client.http.get("/v1/admin/customers/split").json_body["value"]
    assert value["based_on"]["purchase_days"] == 2
    assert value["probability_active"] is not None  # a second purchase day: the model can tell

    cancel = {"event_id": "c", "type": "cancelled", "at": NOW.isoformat()}
    assert post(client, "/v1/customers/split/orders/s-3/events", cancel).status_code == 201
    value = raw_client.http.get("/v1/admin/customers/split").json_body["value"]
    assert value["based_on"] == {"purchase_days": 1, "first_purchase_day": day.date().isoformat(),
                                 "last_purchase_day": day.date().isoformat()}
    assert value["probability_active"] is None  # one purchase day: shown as unknown, not as 100%


def test_a_customer_without_orders_has_no_estimate(client, raw_client):
    put(client, "/v1/customers/new", {"name": "New"})
    assert raw_client.http.get("/v1/admin/customers/new").json_body["value"] is None


def test_merging_moves_the_purchase_days(client, raw_client):
    place(client, "old-account", "m-1", NOW - timedelta(days=400))
    place(client, "new-account", "m-2", NOW - timedelta(days=10))
    assert admin_post(raw_client, "/v1/admin/customers/new-account/merge",
                      {"source_customer_id": "old-account"}).status_code == 200
    value = raw_client.http.get("/v1/admin/customers/new-account").json_body["value"]
    assert value["based_on"]["purchase_days"] == 2
    assert raw_client.http.get("/v1/admin/customers/old-account").json_body["value"] is None


def test_the_pet_shop_timer_is_approved_for_the_regular_and_larger_gestures_go_up(raw_client, regular):
    answers = {cost: admin_post(raw_client, "/v1/admin/customers/tom/goodwill",
                                {"cost": cost, "reason": "timer broke past the return window"})
               for cost in (1000, 2000, 10000)}
    assert {cost: r.status_code for cost, r in answers.items()} == {1000: 200, 2000: 200, 10000: 200}
    timer = answers[1000].json_body
    assert timer["recommendation"] == "approve"
    assert timer["cost"] == {"amount": 1000, "currency": "GBP"}
    assert timer["expected_orders_5y"] > 20
    assert timer["goodwill_granted_12m"] == {"amount": 0, "currency": "GBP"}
    assert "estimate" in timer["explanation"].lower()
    assert timer["grant_with"]["body"]["kind"] == "goodwill_credit"
    assert answers[2000].json_body["recommendation"] == "escalate"
    assert answers[10000].json_body["recommendation"] == "decline"


def test_the_same_gesture_is_declined_for_a_one_off_customer_from_years_ago(client, raw_client):
    place(client, "once", "o-1", NOW - timedelta(days=1000))
    answer = admin_post(raw_client, "/v1/admin/customers/once/goodwill", {"cost": 1000, "reason": "late parcel"})
    assert answer.json_body["recommendation"] == "decline"


def test_goodwill_granted_this_year_uses_up_the_allowance(raw_client, regular):
    granted = admin_post(raw_client, "/v1/admin/customers/tom/adjustments",
                         {"adjustment_id": "gw-1", "kind": "goodwill_credit", "amount": 4500, "currency": "GBP",
                          "reason": "lost parcel"})
    assert granted.status_code == 201, granted.json_body
    answer = admin_post(raw_client, "/v1/admin/customers/tom/goodwill",
                        {"cost": 1000, "reason": "timer"}).json_body
    assert answer["goodwill_granted_12m"] == {"amount": 4500, "currency": "GBP"}
    assert answer["allowance_left"] == {"amount": 500, "currency": "GBP"}
    assert answer["recommendation"] == "escalate"


@pytest.mark.parametrize("body, field", [
    ({"reason": "x"}, "cost"),
    ({"cost": 0, "reason": "x"}, "cost"),
    ({"cost": 10.5, "reason": "x"}, "cost"),
    ({"cost": True, "reason": "x"}, "cost"),
    ({"cost": 1000}, "reason"),
    ({"cost": 1000, "reason": ""}, "reason"),
    ({"cost": 1000, "reason": "x", "currency": "gbp"}, "currency"),
    ({"cost": 1000, "reason": "x", "currency": "USD"}, "currency"),
    ({"cost": 1000, "reason": "x", "grant": True}, "grant"),
])
def test_a_bad_goodwill_request_is_a_400_naming_the_field_and_reads_nothing(raw_client, regular, body, field):
    with DynamoCalls() as calls:
        response = admin_post(raw_client, "/v1/admin/customers/tom/goodwill", body)
    assert response.status_code == 400, response.json_body
    assert field in [detail["field"] for detail in response.json_body["error"]["details"]]
    assert not [name for name in calls.operations if name not in ("Query", "GetItem")]


def test_goodwill_for_an_unknown_customer_is_a_404(raw_client):
    response = admin_post(raw_client, "/v1/admin/customers/nobody/goodwill", {"cost": 1000, "reason": "x"})
    assert response.status_code == 404


def test_asking_for_a_recommendation_writes_nothing(raw_client, regular):
    with DynamoCalls() as calls:
        admin_post(raw_client, "/v1/admin/customers/tom/goodwill", {"cost": 1000, "reason": "timer"})
    assert set(calls.operations) <= {"Query", "GetItem"}


def test_the_goodwill_policy_and_model_live_in_the_rules_and_bad_values_are_refused(raw_client, regular):
    rules = raw_client.http.get("/v1/admin/rules", headers={"X-Operator": "dana"}).json_body
    assert rules["value_model"]["policy"]["yearly_allowance"] == 5000
    bad = json.loads(json.dumps(rules))
    bad["value_model"]["policy"]["margin"] = 3
    bad["value_model"]["model"]["gamma_gamma"]["q"] = 0.5
    response = raw_client.http.put("/v1/admin/rules", headers={**JSON, "X-Operator": "dana"},
                                   body=json.dumps(bad).encode())
    assert response.status_code == 400
    fields = {detail["field"] for detail in response.json_body["error"]["details"]}
    assert {"value_model.policy.margin", "value_model.model.gamma_gamma"} <= fields

    generous = json.loads(json.dumps(rules))
    generous["value_model"]["policy"]["max_share_of_expected_margin"] = 0.5
    assert raw_client.http.put("/v1/admin/rules", headers={**JSON, "X-Operator": "dana"},
                               body=json.dumps(generous).encode()).status_code == 200
    answer = admin_post(raw_client, "/v1/admin/customers/tom/goodwill", {"cost": 4000, "reason": "x"}).json_body
    assert answer["recommendation"] == "approve"
