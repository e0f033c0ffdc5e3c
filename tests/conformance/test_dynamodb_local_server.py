"""The DynamoDB Local fixture gives a working, spec-conforming database on loopback."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from devtools.localdb import dynamodb_client


def test_conditional_put_is_rejected_the_second_time(dynamodb_local_endpoint: str) -> None:
    assert dynamodb_local_endpoint.startswith("http://127.0.0.1:")
    client = dynamodb_client(dynamodb_local_endpoint)
    table = f"fixture-check-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        client.get_waiter("table_exists").wait(
            TableName=table, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
        item = {"pk": {"S": "CUSTOMER#c-1"}, "sk": {"S": "PROFILE"}}
        put = dict(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")

        client.put_item(**put)
        with pytest.raises(ClientError) as rejected:
            client.put_item(**put)

        assert rejected.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
        stored = client.get_item(TableName=table, Key=item, ConsistentRead=True)
        assert stored["Item"] == item
    finally:
        client.delete_table(TableName=table)
    assert table not in client.list_tables()["TableNames"]
