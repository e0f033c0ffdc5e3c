"""The table in infra/resources.json is the table the code expects: same keys, same indexes."""
import json
from pathlib import Path

from chalicelib.store.models import ProfileItem

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "resources.json"


def table_properties():
    return json.loads(TEMPLATE.read_text())["Resources"]["LoyaltyTable"]["Properties"]


def _keys(key_schema):
    return sorted((key["AttributeName"], key["KeyType"]) for key in key_schema)


def _attributes(definitions):
    return sorted((item["AttributeName"], item["AttributeType"]) for item in definitions)


def test_infra_table_has_the_models_keys_and_indexes():
    properties = table_properties()
    schema = ProfileItem._get_schema()  # the model that declares every index of the table
    assert _keys(properties["KeySchema"]) == _keys(schema["key_schema"])
    assert {gsi["IndexName"]: (_keys(gsi["KeySchema"]), gsi["Projection"]["ProjectionType"])
            for gsi in properties["GlobalSecondaryIndexes"]} == {
        index["index_name"]: (_keys(index["key_schema"]), index["projection"]["ProjectionType"])
        for index in schema["global_secondary_indexes"]
    }
    assert _attributes(properties["AttributeDefinitions"]) == _attributes(schema["attribute_definitions"])


def test_infra_table_is_protected_and_on_demand():
    properties = table_properties()
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
