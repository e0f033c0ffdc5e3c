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


class DynamoCalls:
    """DynamoDB operations a route makes, counted with a botocore hook.

    The storefront authorizer's key lookup is left out: in AWS it runs as its own
    invocation and API Gateway caches its answer per key, so it is not part of a route's cost.
    """

    def __init__(self):
        self.operations = []

    def __call__(self, model, params, **kwargs):
        key = params.get("Key", {}).get("pk", {}).get("S", "")
        if not key.startswith("APIKEY#"):
            self.operations.append(model.name)

    def __enter__(self):
        from chalicelib.store.models import TableItem

        self._client = TableItem._get_connection().connection.client
        self._client.meta.events.register("before-parameter-build.dynamodb", self)
        return self

    def __exit__(self, *exc_info):
        self._client.meta.events.unregister("before-parameter-build.dynamodb", self)
