"""What `make run` hands a new user: one local key per backend, never multiplied, and a banner
whose two story quotes work when pasted."""
import json
import re

from chalicelib.services.api_keys import SCOPES, create_key, verify_key
from devtools import run_local
from devtools.banner import ready_banner
from devtools.local_storefront_key import LOCAL_CHANNEL, LOCAL_KEY_NAME, ensure_local_key

from .helpers import JSON


def test_the_local_key_is_kept_while_it_works_and_every_key_it_replaces_is_revoked(table):
    first = ensure_local_key(None)
    assert first["created"] is True and first["revoked"] == []
    assert verify_key(first["secret"]).key_id == first["key_id"]

    again = ensure_local_key(first["secret"])
    assert (again["key_id"], again["secret"], again["created"]) == (first["key_id"], first["secret"], False)

    # A key an older `make run` minted and forgot (its credentials file was rewritten by DB=moto).
    stray, stray_secret = create_key(LOCAL_KEY_NAME, LOCAL_CHANNEL, list(SCOPES))
    kept = ensure_local_key(first["secret"])
    assert kept["key_id"] == first["key_id"] and kept["revoked"] == [stray.key_id]
    assert verify_key(stray_secret) is None

    replaced = ensure_local_key(None)
    assert replaced["created"] is True and replaced["revoked"] == [first["key_id"]]
    assert verify_key(first["secret"]) is None and verify_key(replaced["secret"]) is not None


def test_switching_backends_keeps_each_backends_key(tmp_path):
    settings = run_local.Settings(backend="moto", api_port=18080, db_port=18081, table="loyalty-local")

    class Server:  # the two fields local_credentials reads from a running server
        def __init__(self, backend):
            self.backend, self.endpoint = backend, "http://127.0.0.1:18081"

    on_ddb = run_local.local_credentials(settings, Server("dynamodb-local"), {"key_id": "k-ddb", "secret": "s-ddb"}, {})
    on_moto = run_local.local_credentials(settings, Server("moto"), {"key_id": "k-moto", "secret": "s-moto"}, on_ddb)
    assert on_moto["storefront_api_key"] == "s-moto" and on_moto["backend"] == "moto"
    assert on_moto["keys"] == {"dynamodb-local": {"key_id": "k-ddb", "secret": "s-ddb"},
                               "moto": {"key_id": "k-moto", "secret": "s-moto"}}
    back = run_local.local_credentials(settings, Server("dynamodb-local"), on_moto["keys"]["dynamodb-local"], on_moto)
    assert back["storefront_api_key"] == "s-ddb" and back["keys"]["moto"]["secret"] == "s-moto"


def test_the_banners_story_quotes_work_when_pasted(client):
    from devtools.demo import seed_demo

    list(seed_demo(data_dir=None))
    credentials = {"base_url": "http://127.0.0.1:18080", "stage": "local", "backend": "moto", "table": "t",
                   "dynamodb_endpoint": "http://127.0.0.1:18081", "storefront_api_key": "lk_local_SECRET",
                   "storefront_key_id": "k-1"}
    banner = ready_banner(credentials, ".data/local-credentials.json", "moto", ("moto is a mock",))
    assert "docs/api.md" in banner and "docs/local-development.md" in banner and "moto is a mock" in banner
    pasted = re.findall(r"curl -sS -X POST http://127\.0\.0\.1:18080/v1/quotes "
                        r"-H 'Authorization: Bearer lk_local_SECRET' .* -d '(\{.*\})'$", banner, re.MULTILINE)
    bodies = {json.loads(body)["customer_id"]: json.loads(body) for body in pasted}
    assert set(bodies) == {"runner-ben", "acacia-systems"}

    ben = client.http.post("/v1/quotes", headers=JSON, body=json.dumps(bodies["runner-ben"])).json_body
    assert ben["customer"]["tier"] is not None and ben["address_trust"]["decision"] == "ship"
    assert "MATCH_EXACT" in [reason["code"] for reason in ben["address_trust"]["reasons"]]  # his home address

    acacia = client.http.post("/v1/quotes", headers=JSON, body=json.dumps(bodies["acacia-systems"])).json_body
    assert bodies["acacia-systems"]["shipping_address"]["line1"].startswith("Unit 5")
    assert bodies["acacia-systems"]["payment"]["confirmed_address"]["line1"].startswith("Unit 4")
    assert acacia["address_trust"]["decision"] == "ship"
    assert "PAYMENT_ADDRESS_SAME_BUILDING" in [reason["code"] for reason in acacia["address_trust"]["reasons"]]

