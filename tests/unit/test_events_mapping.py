"""Item changes -> domain events (chalicelib/domain/events.py), one test per behaviour."""
import json
from datetime import datetime, timezone

import pytest

from chalicelib.domain.events import ItemChange, MalformedChange, TierWatch, advance_tier, events_for
from chalicelib.domain.rules import load_default_rules

AT = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
RULES = load_default_rules()
STAMP = "2026-11-20T10:15:00.000000+0000"


def change(new, old=None, kind=None, sequence="100"):
    return ItemChange(kind or ("INSERT" if old is None else "MODIFY"), {}, old, new, sequence, AT)


def order_image(**extra):
    return {"item_type": "order", "order_id": "o-1", "customer_id": "c-1", "placed_at": STAMP, "recorded_at": STAMP,
            "currency": "GBP", "total_amount": 4797, "base_currency": "GBP", "base_total": 4797,
            "lines": json.dumps([{"sku": "A"}, {"sku": "B"}]), "shipping_address": json.dumps({"line1": "1 Road"}),
            "status": "placed", "source": "api", **extra}


def test_a_new_order_is_order_recorded_without_the_address():
    (event,) = events_for(change(order_image()))
    body = event.to_json()
    assert body["type"] == "order.recorded" and body["customer_id"] == "c-1"
    assert body["detail"]["total"] == {"amount": 4797, "currency": "GBP"} and body["detail"]["lines"] == 2
    assert body["occurred_at"] == "2026-11-20T10:15:00Z"
    assert "1 Road" not in json.dumps(body)


def test_an_order_changed_later_or_replayed_announces_nothing_and_the_id_is_stable():
    first = events_for(change(order_image()))
    assert events_for(change(order_image(status="refunded"), old=order_image())) == []
    assert events_for(change(order_image(), sequence="999"))[0].event_id == first[0].event_id


def test_an_order_event_is_order_event_recorded_with_its_amount_and_the_order_state():
    result = {"event_id": "r-1", "order_id": "o-1", "type": "refunded", "at": "2026-11-22T09:00:00Z",
              "amount": {"amount": 899, "currency": "GBP"}, "order": {"status": "partially_refunded",
                                                                   "remaining": {"amount": 3898, "currency": "GBP"}}}
    image = {"item_type": "order_event", "order_id": "o-1", "event_id": "r-1", "customer_id": "c-1",
             "event_type": "refunded", "result": json.dumps(result)}
    (event,) = events_for(change(image))
    assert event.type == "order.event_recorded"
    assert event.detail["event_type"] == "refunded" and event.detail["amount"] == {"amount": 899, "currency": "GBP"}
    assert event.detail["order_status"] == "partially_refunded"
    assert event.occurred_at == datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("decision", ["review", "verify"])
def test_a_held_checkout_is_address_review_or_verify_required_with_codes_only(decision):
    details = {"address_trust": {"reasons": [{"code": "NEW_ADDRESS", "sentiment": "negative", "message": "x"},
                                             {"code": "TENURE", "sentiment": "positive"}]},
               "shipping_address": {"line1": "9 Secret Street", "postcode": "AB1 2CD"}}
    image = {"item_type": "decision", "customer_id": "c-1", "quote_id": "q-9", "decided_at": STAMP,
             "decision": decision, "score": 41, "details": json.dumps(details)}
    (event,) = events_for(change(image))
    assert event.type == f"address.{decision}_required"
    assert event.detail == {"quote_id": "q-9", "decision": decision, "score": 41, "reason_codes": ["NEW_ADDRESS"]}
    assert "Secret" not in json.dumps(event.to_json())
    assert events_for(change({**image, "details": json.dumps({"erased": True})}, old=image)) == []


def test_goodwill_is_announced_from_its_adjustment_and_credit_from_the_journal():
    adjustment = {"item_type": "adjustment", "customer_id": "c-1", "adjustment_id": "gw-1", "kind": "goodwill_credit",
                  "at": STAMP, "details": json.dumps({"amount": 1500, "currency": "GBP", "reason": "late parcel",
                                                      "credit_granted": {"grant_id": "g-1", "expires_at": None}})}
    (goodwill,) = events_for(change(adjustment))
    assert goodwill.type == "goodwill.granted" and goodwill.detail["amount"] == {"amount": 1500, "currency": "GBP"}
    assert "late parcel" not in json.dumps(goodwill.to_json())
    for kind, expected in (("granted", "credit.granted"), ("spent", "credit.spent"), ("returned", "credit.returned")):
        movement = {"item_type": "credit_movement", "customer_id": "c-1", "movement_id": f"m-{kind}", "kind": kind,
                    "at": STAMP, "amount": 700, "currency": "GBP", "grants": json.dumps({"g-1": 700}),
                    "order_id": "o-1", "reason": "staff text"}
        (event,) = events_for(change(movement))
        assert event.type == expected and event.detail["amount"] == {"amount": 700, "currency": "GBP"}
        assert event.detail["grants"] == ["g-1"] and "staff text" not in json.dumps(event.to_json())
    for kind in ("moved_in", "moved_out"):  # a merge moving a grant is announced as customer.merged only
        moved = {"item_type": "credit_movement", "customer_id": "c-1", "movement_id": f"merge-c-0-g-1",
                 "kind": kind, "at": STAMP, "amount": 700, "currency": "GBP", "grants": json.dumps({"g-1": 700})}
        assert events_for(change(moved)) == []


def test_erasure_and_merge_are_announced_once_from_the_profile():
    old = {"item_type": "profile", "customer_id": "c-1", "email": "a@example.com", "lifetime_orders": 2}
    erased = {**old, "email": "erased-1", "erased_at": STAMP}
    (event,) = events_for(change(erased, old=old))
    assert event.type == "customer.erased" and event.detail == {"erased_at": "2026-11-20T10:15:00Z"}
    assert "example.com" not in json.dumps(event.to_json())
    assert events_for(change({**erased, "lifetime_orders": 3}, old=erased)) == []
    (merged,) = events_for(change({**old, "merged_into": "c-2"}, old=old))
    assert merged.type == "customer.merged" and merged.customer_id == "c-2"
    assert merged.detail == {"source_customer_id": "c-1", "target_customer_id": "c-2"}


def test_an_import_report_is_import_finished_with_counts_and_location():
    image = {"item_type": "import_report", "import_id": "imp-1", "finished_at": STAMP, "rows": 10, "imported": 8,
             "already_present": 1, "rejected": 1, "customers": 4, "report_location": "s3://b/import-reports/x"}
    (event,) = events_for(change(image))
    assert event.type == "import.finished" and event.customer_id is None
    assert event.detail["counts"] == {"rows": 10, "imported": 8, "already_present": 1, "rejected": 1, "customers": 4}


def test_items_that_are_not_events_map_to_nothing_and_broken_ones_are_malformed():
    assert events_for(change({"item_type": "ledger", "customer_id": "c-1"})) == []
    assert events_for(change({"item_type": "rules"})) == []
    with pytest.raises(MalformedChange) as error:
        events_for(change({"item_type": "order", "order_id": "o-1", "customer_id": "c-1", "total_amount": "x"}))
    assert "c-1" not in str(error.value)


# ---------------------------------------------------------------------- tiers


def profile(orders, net, sequence_first="2026-06-01T00:00:00.000000+0000"):
    return {"item_type": "profile", "customer_id": "c-1", "lifetime_orders": orders, "lifetime_net_spend": net,
            "first_order_at": sequence_first, "first_seen_at": sequence_first}


def month(orders, net):
    return {"item_type": "month", "customer_id": "c-1", "month": "2026-11", "orders": orders, "net_spend": net}


def run(watch, changes):
    events = []
    for number, (new, old) in enumerate(changes, start=int(watch.sequence) + 1):
        watch, found = advance_tier(watch, ItemChange("MODIFY" if old else "INSERT", {}, old, new, str(number), AT),
                                    RULES.tiers, RULES.base_currency)
        events += found
    return watch, events


def orders_changes(count, unit):
    """The profile and month changes of ``count`` orders of ``unit`` each, as one stream shows them."""
    changes = []
    for n in range(1, count + 1):
        changes.append((profile(n, n * unit), profile(n - 1, (n - 1) * unit) if n > 1 else None))
        changes.append((month(n, n * unit), month(n - 1, (n - 1) * unit) if n > 1 else None))
    return changes


def test_exactly_one_tier_changed_when_an_order_crosses_a_threshold():
    watch = TierWatch("c-1", tier="Member", basis="earned")
    watch, events = run(watch, orders_changes(3, 10000))  # Silver: 3 orders and 250.00 in 12 months
    changed = [event for event in events if event.type == "customer.tier_changed"]
    assert [(event.detail["from"], event.detail["to"], event.detail["direction"]) for event in changed] == [
        ("Member", "Silver", "up")]
    assert "Silver" in changed[0].detail["why"] and changed[0].detail["effective"] == "2026-11-23T12:00:00Z"
    assert watch.tier == "Silver"


def test_a_retried_record_changes_nothing_and_announces_nothing():
    watch, _ = run(TierWatch("c-1", tier="Member", basis="earned"), orders_changes(3, 10000))
    again, events = advance_tier(watch, ItemChange("MODIFY", {}, month(2, 20000), month(3, 30000), "3", AT),
                                 RULES.tiers, RULES.base_currency)
    assert events == [] and again == watch


def test_a_refund_below_the_threshold_is_one_tier_changed_down():
    # Grace keeps a tier that was qualified for at a past month end; this one was reached this month.
    # Silver by spend (2 orders, 300.00: 250.00 in 12 months is enough), then a refund of 100.00.
    watch, events = run(TierWatch("c-1", tier="Member", basis="earned"), orders_changes(2, 15000))
    assert [event.detail["to"] for event in events] == ["Silver"]
    watch, events = run(watch, [(profile(2, 20000), profile(2, 30000)), (month(2, 20000), month(2, 30000))])
    assert [(event.type, event.detail["from"], event.detail["to"], event.detail["direction"]) for event in events] == [
        ("customer.tier_changed", "Silver", "Member", "down")]
    assert watch.tier == "Member"


def test_a_tier_held_by_its_grace_period_is_announced_as_expiring_once():
    # Silver was earned by three orders in November 2025; in November 2026 they left the window
    # (qualified at the end of October, within the 30 days of grace): the next change says so.
    watch = TierWatch("c-1", profile=profile(3, 30000, "2025-11-02T00:00:00.000000+0000"),
                      months={"2025-11": (3, 30000)}, tier="Silver", basis="earned", sequence="10")
    small = {**month(1, 1000)}
    watch, events = run(watch, [(profile(4, 31000, "2025-11-02T00:00:00.000000+0000"), None), (small, None),
                                (profile(5, 32000, "2025-11-02T00:00:00.000000+0000"), None)])
    assert [event.type for event in events] == ["customer.tier_expiring"]
    assert events[0].detail["tier"] == "Silver" and events[0].detail["grace_until"] == "2026-12-01T00:00:00Z"  # October closes at 1 Nov 00:00, +30 days
    assert "Silver" in events[0].detail["to_keep"] and watch.basis == "grace"


# ---------------------------------------------------------------- credit.expired (Time to Live removes a marker)

def marker_image(**extra):
    return {"item_type": "credit_expiry", "customer_id": "c-1", "grant_id": "adj-g1", "amount": 1000,
            "currency": "GBP", "grant_expires_at": STAMP, "expires_at": 1795169700, **extra}


def grant_image(**extra):
    return {"item_type": "credit_grant", "customer_id": "c-1", "grant_id": "adj-g1", "source": "goodwill",
            "amount": 1000, "spent": 700, "returned": 100, "remaining": 400, "currency": "GBP",
            "granted_at": "2026-10-01T09:00:00.000000+0000", "expires_at": STAMP, "reason": "late parcel", **extra}


def removal(old, by_ttl):
    return ItemChange("REMOVE", {}, old, None, "300", AT, by_ttl)


def test_only_time_to_live_removing_a_marker_means_a_grant_expired():
    from chalicelib.domain.events import expired_grant

    assert expired_grant(removal(marker_image(), by_ttl=True)) == ("c-1", "adj-g1")
    assert expired_grant(removal(marker_image(), by_ttl=False)) is None  # somebody deleted it: no expiry
    assert expired_grant(change(marker_image())) is None  # its write announces nothing
    assert events_for(change(marker_image())) == []
    with pytest.raises(MalformedChange):
        expired_grant(removal({"item_type": "credit_expiry", "customer_id": "c-1"}, by_ttl=True))


def test_credit_expired_carries_what_was_left_unspent_at_the_grants_expiry_without_the_reason():
    from chalicelib.domain.events import credit_expired

    (event,) = credit_expired(grant_image(), AT)
    body = event.to_json()
    assert body["type"] == "credit.expired" and body["customer_id"] == "c-1"
    assert body["detail"]["amount"] == {"amount": 400, "currency": "GBP"}  # 1000 - 700 + 100
    assert body["detail"]["granted"] == {"amount": 1000, "currency": "GBP"} and body["detail"]["source"] == "goodwill"
    assert body["occurred_at"] == "2026-11-20T10:15:00Z"  # the grant's expiry, not when TTL got to it
    assert "late parcel" not in json.dumps(body)
    assert credit_expired(grant_image(), datetime(2026, 12, 30, tzinfo=timezone.utc))[0].event_id == event.event_id


def test_a_spent_grant_a_grant_without_expiry_or_not_yet_expired_announces_nothing():
    from chalicelib.domain.events import credit_expired

    assert credit_expired(grant_image(spent=1100, remaining=0), AT) == []
    assert credit_expired(grant_image(expires_at=None), AT) == []
    assert credit_expired(grant_image(), datetime(2026, 11, 20, 10, 14, tzinfo=timezone.utc)) == []


# ---------------------------------------------------------------- replay

def test_replay_rebuilds_the_customers_events_in_the_range_with_their_original_ids():
    from chalicelib.domain.events import replay_events

    placed = order_image(recorded_at="2026-11-20T10:15:00.000000+0000")
    live = {event.type: event.event_id for event in events_for(change(placed))}
    merged_here = order_image(order_id="o-2", customer_id="c-1", merged_from="c-0",
                              recorded_at="2026-11-21T08:00:00.000000+0000")
    first_written = events_for(change(order_image(order_id="o-2", customer_id="c-0",
                                                  recorded_at="2026-11-21T08:00:00.000000+0000")))
    audit = {"item_type": "adjustment", "kind": "merge", "customer_id": "c-1", "adjustment_id": "m-1",
             "request_hash": "merge:c-0", "at": "2026-11-22T08:00:00.000000+0000", "details": "{}"}
    profile = {"item_type": "profile", "customer_id": "c-1", "lifetime_orders": 9, "lifetime_net_spend": 90000}
    month = {"item_type": "month", "customer_id": "c-1", "month": "2026-11", "orders": 9, "net_spend": 90000}
    too_late = order_image(order_id="o-3", recorded_at="2026-11-25T08:00:00.000000+0000")
    replay = replay_events([profile, month, too_late, audit, merged_here, placed],
                           datetime(2026, 11, 20, tzinfo=timezone.utc), datetime(2026, 11, 25, tzinfo=timezone.utc),
                           AT)
    assert [(event.type, event.customer_id, event.detail.get("order_id")) for event in replay.events] == [
        ("order.recorded", "c-1", "o-1"), ("order.recorded", "c-0", "o-2"), ("customer.merged", "c-1", None)]
    assert replay.events[0].event_id == live["order.recorded"]
    assert replay.events[1].event_id == first_written[0].event_id  # announced before the merge moved it
    assert replay.events[2].detail == {"source_customer_id": "c-0", "target_customer_id": "c-1"}
    assert replay.malformed == 0


def test_replay_counts_an_unreadable_item_and_goes_on():
    from chalicelib.domain.events import replay_events

    replay = replay_events([order_image(total_amount="lots"), order_image(order_id="o-2")],
                           datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc), AT)
    assert [event.detail["order_id"] for event in replay.events] == ["o-2"] and replay.malformed == 1
