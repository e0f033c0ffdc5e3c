"""Hashes that stand in for personal data (the email and phone lookup index, the customer
reference in logs) are keyed with the stage's hash key (HMAC-SHA256), so nobody holding a
hash can confirm a guess without the key; existing lookup items are rebuilt with the current
key by ``python -m chalicelib.cli rehash-lookups``."""
import hashlib
import hmac
import json
import os

import boto3
from click.testing import CliRunner

from chalicelib.cli import cli

from .helpers import put

EMAIL, PHONE = "Zoe.Private@Example.org", "+44 7700 900999"


def profile_item(table, customer_id):
    return boto3.resource("dynamodb").Table(table).get_item(
        Key={"pk": f"CUSTOMER#{customer_id}", "sk": "PROFILE"})["Item"]


def keyed(message):
    return hmac.new(os.environ["LOYALTY_HASH_KEY"].encode(), message.encode(), hashlib.sha256).hexdigest()


def test_contact_hashes_and_log_refs_cannot_be_confirmed_by_guessing(client, table, capsys):
    """Defect 12 of issue 11: sha256("email:" + address) and sha256("loyalty-customer:" + id)
    could be confirmed by anyone guessing an email, a phone or an id."""
    put(client, "/v1/customers/zoe", {"email": EMAIL, "phone": PHONE})
    item = profile_item(table, "zoe")
    guessed = {hashlib.sha256(f"email:{EMAIL.lower()}".encode()).hexdigest(),
               hashlib.sha256("phone:+447700900999".encode()).hexdigest()}
    assert item["email_hash"] not in guessed and item["phone_hash"] not in guessed
    assert item["email_hash"] == keyed(f"email:{EMAIL.lower()}")
    assert item["phone_hash"] == keyed("phone:+447700900999")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"message":"request"' in line]
    ref = lines[-1]["customer"]
    assert ref != hashlib.sha256(b"loyalty-customer:zoe").hexdigest()[:16]
    assert ref == CliRunner().invoke(cli, ["log-ref", "zoe"]).stdout.strip()


def email_index(table, value):
    return boto3.client("dynamodb").query(TableName=table, IndexName="email-index",
                                          KeyConditionExpression="email_hash = :h",
                                          ExpressionAttributeValues={":h": {"S": value}})["Items"]


def test_rehash_lookups_rebuilds_old_hashes_with_the_current_key_and_is_idempotent(client, raw_client, table):
    put(client, "/v1/customers/zoe", {"email": EMAIL, "phone": PHONE})
    put(client, "/v1/customers/ben", {"email": "ben@example.com"})
    put(client, "/v1/customers/nobody", {"name": "No Contact"})
    old = {"zoe": hashlib.sha256(f"email:{EMAIL.lower()}".encode()).hexdigest(),
           "ben": hashlib.sha256(b"email:ben@example.com").hexdigest()}
    records = boto3.resource("dynamodb").Table(table)
    for customer_id, value in old.items():  # as written before the hash was keyed
        records.update_item(Key={"pk": f"CUSTOMER#{customer_id}", "sk": "PROFILE"},
                            UpdateExpression="SET email_hash = :h REMOVE phone_hash", ExpressionAttributeValues={":h": value})
    assert email_index(table, keyed("email:ben@example.com")) == []  # the lookup index holds only the old hash

    first = CliRunner().invoke(cli, ["rehash-lookups", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"profiles": 3, "updated": 2, "identity_indexed": 2}
    again = json.loads(CliRunner().invoke(cli, ["rehash-lookups", "--json"]).stdout)
    assert again == {"profiles": 3, "updated": 0, "identity_indexed": 2}  # listing again changes nothing

    assert profile_item(table, "zoe")["phone_hash"] == keyed("phone:+447700900999")
    for customer_id, value in old.items():
        assert profile_item(table, customer_id)["email_hash"] == keyed(
            f"email:{EMAIL.lower()}" if customer_id == "zoe" else "email:ben@example.com")
        index = boto3.client("dynamodb").query(TableName=table, IndexName="email-index",
                                               KeyConditionExpression="email_hash = :h",
                                               ExpressionAttributeValues={":h": {"S": value}})
        assert index["Items"] == []  # the old, guessable lookup item is gone
    assert "email_hash" not in profile_item(table, "nobody")
    found = raw_client.http.get("/v1/admin/customers?email=ben%40example.com").json_body["customers"]
    assert [customer["customer_id"] for customer in found] == ["ben"]
