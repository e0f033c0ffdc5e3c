"""A returning customer who checks out as a guest, through the HTTP app on the demo data:
recognised by an identity key and a second fact, asked to sign in on an identity key alone,
and kept from first-order offers under a fresh email."""
import json

import jwt

from devtools.demo import HOME, seed_demo

from .helpers import DynamoCalls, order_body, post, put

SHOES = [{"sku": "RUN-GHOST-16", "category": "running-shoes", "quantity": 1, "unit_amount": 13999}]
NEW_ADDRESS = {"line1": "4 Harbour Street", "city": "Whitby", "postcode": "YO21 3PU", "country": "GB"}
BEN_PHONE = "07700 900123"


def _seed():
    list(seed_demo(data_dir=None))


def guest_quote(client, customer, address=HOME, **extra):
    body = {"currency": "GBP", "lines": SHOES, "shipping_address": address, "customer": customer, **extra}
    response = post(client, "/v1/quotes", body)
    assert response.status_code == 200, response.json_body
    return response.json_body


def reasons(quote):
    return [(n["code"], n["reason"]) for n in quote["not_applied"]]


def claims_of(quote):
    return jwt.decode(quote["quote_token"], options={"verify_signature": False})


def test_ben_as_a_guest_with_his_email_typed_differently_and_his_harrogate_address_gets_his_tier(client, table):
    _seed()
    signed_in = post(client, "/v1/quotes", {"customer_id": "runner-ben", "currency": "GBP", "lines": SHOES,
                                            "shipping_address": HOME}).json_body
    quote = guest_quote(client, {"email": "Ben.Harris+shoes@Example.com"})
    assert quote["customer"]["recognised"] == {"customer_id": "runner-ben", "by": ["email", "delivered_address"]}
    assert quote["customer"]["tier"] == signed_in["customer"]["tier"] in ("Silver", "Gold")
    assert [d["code"] for d in quote["discounts"]] == [d["code"] for d in signed_in["discounts"]]
    assert quote["totals"]["total"] == signed_in["totals"]["total"]
    assert claims_of(quote)["sub"] == "runner-ben"
    text = json.dumps(quote).lower()
    assert "ben.harris" not in text and "example.com" not in text and "meadow" not in text

    # The token commits the order to Ben: under his id it records his tier discount ...
    lines = [{**SHOES[0], "discount_amount": quote["lines"][0]["total"] and
              SHOES[0]["unit_amount"] - quote["lines"][0]["total"]["amount"]}]
    order = {"order_id": "guest-ben-1", "placed_at": "2026-11-01T10:00:00Z", "currency": "GBP", "lines": lines,
             "total_amount": quote["totals"]["total"]["amount"], "quote_token": quote["quote_token"],
             "shipping_address": HOME}
    elsewhere = post(client, "/v1/customers/guest-77/orders", order)
    assert elsewhere.status_code == 400
    assert elsewhere.json_body["error"]["details"][0]["field"] == "quote_token"
    placed = post(client, "/v1/customers/runner-ben/orders", order)
    assert placed.status_code == 201, placed.json_body
    assert placed.json_body["quote"]["recognised_by"] == ["email", "delivered_address"]
    assert "guest_quote" not in placed.json_body["quote"]
    tier_code = f"tier:{signed_in['customer']['tier']}"
    assert tier_code in [d["code"] for d in placed.json_body["discounts"]]


def test_ben_at_a_new_address_gets_a_guest_quote_and_the_sign_in_hint(client, table):
    _seed()
    quote = guest_quote(client, {"email": "ben.harris@example.com"}, address=NEW_ADDRESS)
    assert "recognised" not in quote["customer"]
    assert quote["customer"]["tier"] is None
    assert not any(d["kind"] == "tier" for d in quote["discounts"])
    hints = [{"code": n["code"], "reason": n["reason"]} for n in quote["not_applied"]
             if n["code"] == "SIGN_IN_FOR_BENEFITS"]
    # the hint every guest who types an email gets: nothing about Ben's record, not even his tier
    assert hints == [{"code": "SIGN_IN_FOR_BENEFITS", "reason": "Sign in to use any benefits your account has"}]
    assert "sub" not in claims_of(quote)


def test_a_fresh_email_with_bens_phone_and_address_cannot_take_firststride(client, table):
    _seed()
    assert put(client, "/v1/customers/runner-ben", {"phone": "+44 7700 900123"}).status_code == 200
    assert put(client, "/v1/customers/new-runner", {"email": "fresh.start@example.net",
                                                    "phone": BEN_PHONE}).status_code == 200
    body = {"customer_id": "new-runner", "currency": "GBP", "lines": SHOES, "shipping_address": NEW_ADDRESS,
            "promo_codes": ["FIRSTSTRIDE"]}
    refused = post(client, "/v1/quotes", body).json_body
    assert "FIRSTSTRIDE" not in [d["code"] for d in refused["discounts"]]
    assert ("FIRSTSTRIDE", "You've ordered with us before") in reasons(refused)

    # His delivered address alone says the same for a record with nothing else in common ...
    put(client, "/v1/customers/other-runner", {"email": "someone.else@example.net"})
    at_home = post(client, "/v1/quotes", {**body, "customer_id": "other-runner", "shipping_address": HOME}).json_body
    assert ("FIRSTSTRIDE", "You've ordered with us before") in reasons(at_home)
    # ... while a truly new customer gets the offer.
    fresh = post(client, "/v1/quotes", {**body, "customer_id": "other-runner"}).json_body
    assert "FIRSTSTRIDE" in [d["code"] for d in fresh["discounts"]]


def test_the_rules_say_which_signals_count(client, raw_client, table):
    _seed()
    put(client, "/v1/customers/runner-ben", {"phone": "+44 7700 900123"})
    put(client, "/v1/customers/new-runner", {"email": "fresh.start@example.net", "phone": BEN_PHONE})
    rules = raw_client.http.get("/v1/admin/rules").json_body
    document = {key: value for key, value in rules.items() if key not in ("created_at", "created_by")}
    bad = raw_client.http.put("/v1/admin/rules", headers={"Content-Type": "application/json"},
                              body=json.dumps({**document, "identity": {"new_customer_signals": ["shoe size"]}}))
    assert bad.status_code == 400
    assert bad.json_body["error"]["details"][0]["field"] == "identity.new_customer_signals"
    saved = raw_client.http.put("/v1/admin/rules", headers={"Content-Type": "application/json"},
                                body=json.dumps({**document, "identity": {"new_customer_signals": ["email"]}}))
    assert saved.status_code == 200, saved.json_body
    quote = post(client, "/v1/quotes", {"customer_id": "new-runner", "currency": "GBP", "lines": SHOES,
                                        "promo_codes": ["FIRSTSTRIDE"]}).json_body
    assert "FIRSTSTRIDE" in [d["code"] for d in quote["discounts"]]


def test_malformed_guest_identity_is_a_400_naming_the_field_and_echoing_nothing(client, table):
    for customer, field in (({"email": "ben.harris@"}, "customer.email"), ({"phone": "call me"}, "customer.phone"),
                            ({"email": "a@example.com", "shoe": 9}, "customer.shoe")):
        response = post(client, "/v1/quotes", {"currency": "GBP", "lines": SHOES, "customer": customer})
        assert response.status_code == 400, response.json_body
        assert [d["field"] for d in response.json_body["error"]["details"]] == [field]
        assert "ben.harris" not in json.dumps(response.json_body)
    both = post(client, "/v1/quotes", {"customer_id": "runner-ben", "currency": "GBP", "lines": SHOES,
                                       "customer": {"email": "a@example.com"}})
    assert both.status_code == 400 and both.json_body["error"]["details"][0]["field"] == "customer"


def test_an_erased_customers_identity_matches_nothing(client, raw_client, table):
    _seed()
    assert raw_client.http.delete("/v1/admin/customers/runner-ben/personal-data").status_code == 200
    quote = guest_quote(client, {"email": "ben.harris@example.com"})
    assert "recognised" not in quote["customer"]
    assert [n["reason"] for n in quote["not_applied"] if n["code"] == "SIGN_IN_FOR_BENEFITS"] == [
        "Sign in to use any benefits your account has"]  # what any unrecognised email gets
    import boto3

    identity = [item for item in boto3.client("dynamodb").scan(TableName=table)["Items"]
                if item["item_type"]["S"] in ("identity", "profile") and "runner-ben" in str(item)]
    assert [i for i in identity if i["item_type"]["S"] == "identity"] == []  # off every identity item
    assert all("identity_keys" not in i for i in identity)


def test_several_records_with_one_email_give_a_guest_quote_noted_for_support(client, raw_client, table):
    put(client, "/v1/customers/a", {"email": "shared@example.org"})
    put(client, "/v1/customers/b", {"email": "Shared+x@Example.org"})
    quote = guest_quote(client, {"email": "shared@example.org"})
    assert "recognised" not in quote["customer"] and quote["customer"]["tier"] is None
    view = raw_client.http.get("/v1/admin/customers/a").json_body
    assert [(m["quote_id"], m["by"], m["others"]) for m in view["identity_matches"]] == [
        (quote["quote_id"], ["email"], ["b"])]


def test_a_guest_quote_with_an_email_costs_at_most_two_requests_and_a_customers_quote_one(client, with_settings):
    _seed()
    with_settings(LOYALTY_RULES_CACHE_SECONDS="60")
    guest_quote(client, {"email": "someone@example.net", "phone": BEN_PHONE})  # warm: rules cached, modules loaded
    with DynamoCalls() as calls:
        guest_quote(client, {"email": "Ben.Harris+shoes@Example.com", "phone": BEN_PHONE})
    assert calls.operations == ["BatchGetItem", "Query"]
    with DynamoCalls() as calls:
        guest_quote(client, {"email": "nobody.we.know@example.net"}, address=None)
    assert calls.operations == ["BatchGetItem"]  # nobody holds it: the index alone
    with DynamoCalls() as calls:
        post(client, "/v1/quotes", {"customer_id": "runner-ben", "currency": "GBP", "lines": SHOES,
                                    "shipping_address": HOME, "promo_codes": ["FIRSTSTRIDE"]})
    assert calls.operations == ["Query"]
    with DynamoCalls() as calls:
        post(client, "/v1/quotes", {"currency": "GBP", "lines": SHOES})
    assert calls.operations == []


def test_two_records_sharing_a_phone_are_possible_duplicates_and_merge_in_one_call(client, raw_client, table):
    put(client, "/v1/customers/tom", {"email": "tom@example.org", "phone": "+44 7700 900555", "country": "GB"})
    put(client, "/v1/customers/guest-91", {"email": "t.jones@example.net", "phone": "07700 900555"})
    assert post(client, "/v1/customers/tom/orders", order_body("tom-1", shipping_address=HOME)).status_code == 201
    assert post(client, "/v1/customers/tom/orders", order_body("tom-2", shipping_address=HOME)).status_code == 201
    post(client, "/v1/customers/tom/orders/tom-1/events", {"event_id": "d-1", "type": "delivered",
                                                          "at": "2026-11-03T10:00:00Z"})
    assert post(client, "/v1/customers/guest-91/orders", order_body("g-1", shipping_address=HOME)).status_code == 201

    guest_view = raw_client.http.get("/v1/admin/customers/guest-91").json_body
    [duplicate] = guest_view["possible_duplicates"]
    assert duplicate["customer_id"] == "tom"
    assert duplicate["facts"] == ["delivered_address", "phone"]
    assert duplicate["possible_same_customer"] is True
    assert duplicate["merge"] == {"method": "POST", "path": "/v1/admin/customers/tom/merge",
                                  "body": {"source_customer_id": "guest-91"}}
    tom_view = raw_client.http.get("/v1/admin/customers/tom").json_body
    assert [(d["customer_id"], d["facts"]) for d in tom_view["possible_duplicates"]] == [
        ("guest-91", ["delivered_address", "phone"])]
    assert tom_view["possible_duplicates"][0]["merge"] == duplicate["merge"]

    merge = duplicate["merge"]
    merged = raw_client.http.post(merge["path"], headers={"Content-Type": "application/json"},
                                  body=json.dumps(merge["body"]))
    assert merged.status_code == 200, merged.json_body
    assert merged.json_body["orders_moved"] == 1
    assert raw_client.http.get("/v1/admin/customers/tom").json_body["possible_duplicates"] == []
    # tom is now found by the email the guest record held (the emptied record keeps its profile)
    found = raw_client.http.get("/v1/admin/customers?email=T.Jones%2Bshop%40Example.net").json_body["customers"]
    assert [c["customer_id"] for c in found] == ["guest-91", "tom"]
    # and a guest typing it at tom's delivered address is recognised as tom, not as the old record
    quote = guest_quote(client, {"email": "t.jones@example.net"})
    assert quote["customer"]["recognised"] == {"customer_id": "tom", "by": ["email", "delivered_address"]}


def test_support_finds_a_customer_by_any_email_they_have_held(client, raw_client, table):
    put(client, "/v1/customers/ann", {"email": "ann.old@gmail.com"})
    put(client, "/v1/customers/ann", {"email": "ann@example.org"})
    for typed in ("A.N.N.Old+x@googlemail.com", "ann@example.org"):
        found = raw_client.http.get(f"/v1/admin/customers?email={typed.replace('+', '%2B')}").json_body["customers"]
        assert [c["customer_id"] for c in found] == ["ann"]


def _rules_with_identity(raw_client, identity):
    rules = raw_client.http.get("/v1/admin/rules").json_body
    document = {key: value for key, value in rules.items() if key not in ("created_at", "created_by")}
    saved = raw_client.http.put("/v1/admin/rules", headers={"Content-Type": "application/json"},
                                body=json.dumps({**document, "identity": identity}))
    assert saved.status_code == 200, saved.json_body


def _regular_and_guest_order(client):
    put(client, "/v1/customers/tom", {"email": "tom.jones@example.org"})
    assert post(client, "/v1/customers/tom/orders", order_body("tom-1", shipping_address=HOME)).status_code == 201
    post(client, "/v1/customers/tom/orders/tom-1/events", {"event_id": "d-1", "type": "delivered",
                                                          "at": "2026-11-03T10:00:00Z"})
    put(client, "/v1/customers/guest-5", {"email": "Tom.Jones+checkout@example.org"})
    return post(client, "/v1/customers/guest-5/orders", order_body("g-5", placed_at="2026-11-10T10:00:00Z",
                                                                   shipping_address=HOME))


def test_a_guest_order_matching_one_customer_is_suggested_on_both_records_by_default(client, raw_client, table):
    placed = _regular_and_guest_order(client)
    assert placed.status_code == 201 and "attached_to" not in placed.json_body
    for viewed, other in (("guest-5", "tom"), ("tom", "guest-5")):
        [duplicate] = raw_client.http.get(f"/v1/admin/customers/{viewed}").json_body["possible_duplicates"]
        assert (duplicate["customer_id"], duplicate["facts"], duplicate["possible_same_customer"]) == (
            other, ["delivered_address", "email"], True)
        assert duplicate["merge"]["path"] == "/v1/admin/customers/tom/merge"
    assert raw_client.http.get("/v1/admin/customers/tom").json_body["stats"]["lifetime"]["orders"] == 1


def test_with_attach_auto_a_guest_order_matching_one_customer_is_merged_at_once_by_the_system(client, raw_client,
                                                                                              table):
    _rules_with_identity(raw_client, {"attach": "auto"})
    placed = _regular_and_guest_order(client)
    assert placed.status_code == 201, placed.json_body
    assert placed.json_body["attached_to"] == "tom"
    tom = raw_client.http.get("/v1/admin/customers/tom").json_body
    assert tom["stats"]["lifetime"]["orders"] == 2
    audits = [a for a in tom["adjustments"] if a["kind"] == "merge"]
    assert [a["operator"] for a in audits] == ["system:guest-attach"]
    # an order at an address the customer never had delivered is left for support
    put(client, "/v1/customers/guest-6", {"email": "tom.jones@example.org"})
    other = post(client, "/v1/customers/guest-6/orders", order_body("g-6", shipping_address=NEW_ADDRESS))
    assert other.status_code == 201 and "attached_to" not in other.json_body


THIEF_ROAD = {"line1": "9 Thief Road", "city": "Leeds", "postcode": "LS1 4AP", "country": "GB"}


def _recognised_order(quote, order_id, **extra):
    lines = [{**SHOES[0], "discount_amount": SHOES[0]["unit_amount"] - quote["lines"][0]["total"]["amount"]}]
    return {"order_id": order_id, "placed_at": "2026-11-01T10:00:00Z", "currency": "GBP", "lines": lines,
            "total_amount": quote["totals"]["total"]["amount"], "quote_token": quote["quote_token"], **extra}


def test_a_recognised_token_commits_only_to_the_address_that_proved_the_customer(client, table):
    _seed()
    quote = guest_quote(client, {"email": "ben.harris@example.com"})
    assert quote["customer"]["recognised"]["by"] == ["email", "delivered_address"]
    for extra in ({"shipping_address": THIEF_ROAD}, {}):
        refused = post(client, "/v1/customers/runner-ben/orders", _recognised_order(quote, "stolen-1", **extra))
        assert refused.status_code == 400, refused.json_body
        [detail] = refused.json_body["error"]["details"]
        assert detail["field"] == "quote_token"
        assert "shipping address differs from the one the quote recognised" in detail["reason"]
    # nothing was written: the order does not exist, and no delivery can make Leeds Ben's
    assert post(client, "/v1/customers/runner-ben/orders/stolen-1/events",
                {"event_id": "d-x", "type": "delivered", "at": "2026-11-03T10:00:00Z"}).status_code == 404
    leeds = guest_quote(client, {"email": "ben.harris@example.com"}, address=THIEF_ROAD)
    assert "recognised" not in leeds["customer"] and leeds["customer"]["tier"] is None
    # the address that proved him still commits (any spelling of it)
    home = {**HOME, "line1": HOME["line1"].upper(), "postcode": HOME["postcode"].lower()}
    placed = post(client, "/v1/customers/runner-ben/orders", _recognised_order(quote, "home-1", shipping_address=home))
    assert placed.status_code == 201, placed.json_body
    assert placed.json_body["quote"]["recognised_by"] == ["email", "delivered_address"]


UNIFORM_HINT = [("SIGN_IN_FOR_BENEFITS", "Sign in to use any benefits your account has")]


def test_typing_an_email_reveals_neither_whether_it_matched_nor_a_tier(client, table):
    _seed()
    put(client, "/v1/customers/a", {"email": "shared@example.org"})
    put(client, "/v1/customers/b", {"email": "Shared+x@Example.org"})
    answers = {typed: guest_quote(client, {"email": typed}, address=NEW_ADDRESS)
               for typed in ("ben.harris@example.com", "nobody.we.know@example.net", "shared@example.org")}
    for typed, quote in answers.items():
        assert [(c, r) for c, r in reasons(quote) if c == "SIGN_IN_FOR_BENEFITS"] == UNIFORM_HINT, typed
        assert "recognised" not in quote["customer"] and quote["customer"]["tier"] is None
        assert not any(tier in json.dumps(quote) for tier in ("Silver", "Gold", "Bronze"))
    shown = [{k: v for k, v in q.items() if k not in ("quote_id", "quote_token", "expires_at")}
             for q in answers.values()]
    assert shown[0] == shown[1] == shown[2]  # matched, unmatched and several matches look the same


def test_a_recognised_guest_gets_the_tier_and_discounts_but_no_stored_history(client, raw_client, table):
    from chalicelib.services.api_keys import create_key

    _seed()
    signed_in = post(client, "/v1/quotes", {"customer_id": "runner-ben", "currency": "GBP", "lines": SHOES,
                                            "shipping_address": HOME}).json_body
    assert signed_in["customer"]["next_tier"] is not None  # what the signed-in customer sees
    quote = guest_quote(client, {"email": "ben.harris@example.com"})
    customer = quote["customer"]
    assert customer["tier"] == signed_in["customer"]["tier"]
    assert [d["code"] for d in quote["discounts"]] == [d["code"] for d in signed_in["discounts"]]
    assert customer["next_tier"] is None and customer["tier_held_until"] is None
    assert customer["tier_explanation"] != signed_in["customer"]["tier_explanation"]
    assert not any(ch.isdigit() for ch in customer["tier_explanation"])  # no years, counts or amounts
    assert "order" not in customer["tier_explanation"].lower()
    assert customer["recognised"] == {"customer_id": "runner-ben", "by": ["email", "delivered_address"]}

    quotes_only = {"Authorization": f"Bearer {create_key('till', 'pos', ['quotes'])[1]}",
                   "Content-Type": "application/json"}
    body = {"currency": "GBP", "lines": SHOES, "shipping_address": HOME, "customer": {"email": "ben.harris@example.com"}}
    answer = raw_client.http.post("/v1/quotes", headers=quotes_only, body=json.dumps(body)).json_body
    assert answer["customer"]["recognised"] == {"by": ["email", "delivered_address"]}
    assert answer["customer"]["tier"] == customer["tier"]


def test_repeated_ambiguous_quotes_leave_one_note_per_identity_key_per_day(client, raw_client, table):
    import boto3

    put(client, "/v1/customers/a", {"email": "shared@example.org"})
    put(client, "/v1/customers/b", {"email": "Shared+x@Example.org"})
    quotes = [guest_quote(client, {"email": "shared@example.org"}) for _ in range(5)]
    notes = [item for item in boto3.client("dynamodb").scan(TableName=table)["Items"]
             if item["item_type"]["S"] == "identity_match"]
    assert sorted(item["customer_id"]["S"] for item in notes) == ["a", "b"]  # one note per record, not 5
    view = raw_client.http.get("/v1/admin/customers/a").json_body
    assert [(m["count"], m["quote_id"], m["by"], m["others"]) for m in view["identity_matches"]] == [
        (5, quotes[-1]["quote_id"], ["email"], ["b"])]
