"""The schemathesis run of tests/integration/test_schemathesis.py, against DynamoDB Local instead of
moto: what DynamoDB refuses and moto accepts (a starting key outside a Query's key range, for one:
defect 4 of issue 11) is a 5xx here. Fewer examples than the moto run, so it fits a 2-core CI;
the moto run covers the breadth, this one the database's own rules."""
from collections import Counter

from tests.conftest import _AuthorizedClient
from tests.integration.test_schemathesis import run_schemathesis

# Per operation: generated, seeded, negative, and generated cursor positions on the ledger routes.
EXAMPLES = (8, 12, 8, 25)
MIN_REQUESTS = 300


def test_generated_requests_get_no_5xx_on_dynamodb_local(local_app, local_storefront_secret, customer_token):
    client = _AuthorizedClient(local_app, local_storefront_secret)
    sent, failures, operations = run_schemathesis(client, local_app, local_storefront_secret, customer_token,
                                                  examples=EXAMPLES)
    server_errors = Counter(label for label, status in sent if status >= 500)
    assert server_errors == Counter()
    assert not failures, "\n\n".join(f"{label}: {title}\n{report}" for (label, title), report in failures.items())
    assert {label for label, _ in sent} == {operation.label for operation in operations}
    assert len(sent) >= MIN_REQUESTS
