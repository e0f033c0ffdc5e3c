"""DynamoDB faults injected with botocore event hooks: busy errors are retried with backoff,
and past the budget the API answers 503 with Retry-After, having written nothing."""
import pytest

from chalicelib.store.models import TableItem

from .helpers import item_count, order_body, post


class _Http:
    status_code = 400
    headers = {}


class FaultInjector:
    """Answers the first ``times`` calls of ``operation`` with a DynamoDB error, then lets calls through."""

    def __init__(self, operation, code, times, reasons=None):
        self.operation, self.code, self.left, self.reasons = operation, code, times, reasons
        self.calls = 0

    def __call__(self, **kwargs):
        self.calls += 1
        if self.left == 0:
            return None
        self.left -= 1
        parsed = {"Error": {"Code": self.code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": 400}}
        if self.reasons:
            parsed["CancellationReasons"] = [{"Code": code} for code in self.reasons]
        return _Http(), parsed


@pytest.fixture
def inject(table):
    client = TableItem._get_connection().connection.client
    installed = []

    def install(operation, code, times, reasons=None):
        injector = FaultInjector(operation, code, times, reasons)
        client.meta.events.register(f"before-call.dynamodb.{operation}", injector)
        installed.append(injector)
        return injector

    yield install
    for injector in installed:
        client.meta.events.unregister(f"before-call.dynamodb.{injector.operation}", injector)


CONFLICT = ("TransactionCanceledException", ["None", "None", "TransactionConflict", "None"])


@pytest.mark.parametrize("code, reasons", [CONFLICT, ("ThrottlingException", None),
                                           ("ProvisionedThroughputExceededException", None)])
def test_a_busy_table_is_retried_and_the_order_recorded_once(client, inject, code, reasons):
    injector = inject("TransactWriteItems", code, times=3, reasons=reasons)
    response = post(client, "/v1/customers/c-1/orders", order_body())
    assert response.status_code == 201
    assert injector.calls == 4
    stats = client.http.get("/v1/customers/c-1").json_body["stats"]
    assert stats["lifetime"]["orders"] == 1


def test_past_the_retry_budget_the_answer_is_503_with_retry_after_and_nothing_is_written(
        client, table, inject, with_settings):
    with_settings(LOYALTY_RETRY_BUDGET_SECONDS="0.3")
    inject("TransactWriteItems", CONFLICT[0], times=10**6, reasons=CONFLICT[1])
    before = item_count(table)
    response = post(client, "/v1/customers/c-1/orders", order_body())
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json_body["error"]["code"] == "service_unavailable"
    assert item_count(table) == before


def test_a_conditional_failure_is_an_answer_not_a_retry(client, inject):
    post(client, "/v1/customers/c-1/orders", order_body())
    injector = inject("TransactWriteItems", "TransactionCanceledException", times=0)
    assert post(client, "/v1/customers/c-1/orders", order_body()).status_code == 200
    assert injector.calls == 1
