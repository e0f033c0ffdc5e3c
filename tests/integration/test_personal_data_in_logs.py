"""Logs never contain raw email, phone or address lines: requests carrying them, including
ones that fail validation or hit the ledger's rules, leave none of it in the captured logs."""
import json
import logging

from .helpers import order_body, post, put

EMAIL, PHONE = "zoe.private@example.org", "+44 7700 900999"
LINE1, POSTCODE = "Flat 9, 12 Secret Gardens", "SW1A 2AA"
ADDRESS = {"line1": LINE1, "city": "London", "postcode": POSTCODE, "country": "GB"}


def test_personal_data_never_reaches_the_logs(client, raw_client, caplog, capsys):
    caplog.set_level(logging.INFO)
    put(client, "/v1/customers/zoe", {"email": EMAIL, "phone": PHONE, "name": "Zoë Private"})
    put(client, "/v1/customers/zoe", {"email": "broken-" + EMAIL.replace("@", ""), "phone": PHONE})  # 400
    post(client, "/v1/customers/zoe/orders", order_body(shipping_address=ADDRESS))
    post(client, "/v1/customers/zoe/orders", order_body(shipping_address=dict(ADDRESS, country="Britain")))  # 400
    post(client, "/v1/customers/zoe/orders/o-1/events",
         {"event_id": "r", "type": "refunded", "at": "2026-11-02T10:00:00Z", "amount": 999999})  # 422
    post(client, "/v1/quotes", {"customer_id": "zoe", "currency": "GBP", "shipping_address": ADDRESS,
                                "payment": {"method": "card", "confirmed_address": ADDRESS},
                                "lines": [{"sku": "A", "category": "c", "quantity": 1, "unit_amount": 100}]})
    raw_client.http.get(f"/v1/admin/customers?email={EMAIL}")
    raw_client.http.get("/v1/admin/customers/zoe")
    logged = "\n".join(record.getMessage() + str(record.args) + (record.exc_text or "") for record in caplog.records)
    for secret in (EMAIL, PHONE, PHONE.replace(" ", ""), LINE1, POSTCODE, "Secret Gardens", "zoe.private"):
        assert secret not in logged, f"{secret!r} appeared in the logs"
    assert json.dumps(caplog.text).count("Secret") == 0
    written = capsys.readouterr().out  # the JSON log lines and metrics, as CloudWatch receives them
    assert written.count('"message":"request"') >= 8
    for secret in (EMAIL, PHONE, PHONE.replace(" ", ""), LINE1, POSTCODE, "Secret Gardens", "zoe.private", '"zoe"'):
        assert secret not in written, f"{secret!r} appeared in the JSON logs"
