"""Small builders shared by the integration tests."""
import json

JSON = {"Content-Type": "application/json"}


def order_body(order_id="o-1", placed_at="2026-11-01T10:00:00Z", unit=5000, quantity=2, discount=0,
               currency="GBP", **extra):
    body = {
        "order_id": order_id,
        "placed_at": placed_at,
        "currency": currency,
        "lines": [{"sku": "SHOE", "category": "running-shoes", "quantity": quantity, "unit_amount": unit,
                   "discount_amount": discount}],
        "total_amount": quantity * unit - discount,
    }
    body.update(extra)
    return body


def post(client, path, body):
    payload = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.post(path, headers=JSON, body=payload)


def put(client, path, body):
    return client.http.put(path, headers=JSON, body=json.dumps(body))


def item_count(table_name):
    import boto3

    return boto3.client("dynamodb").scan(TableName=table_name, Select="COUNT")["Count"]
