"""``fit-value-model``: the operator's batch fit reads every customer's purchase days by a
parallel Scan and stores the parameters, with the fit date and sample size, as a new rules
version that the estimates then use."""
import json
import random
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from chalicelib.cli import cli

from .helpers import order_body, post

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def write_customers(count, seed=7):
    """Purchase days of ``count`` customers drawn from the models' own story: each buys at a
    rate of their own (gamma), may stop after any purchase (beta) and has a spend level of
    their own (gamma). Written as the purchase-day items orders and imports keep (those are
    tested in test_import.py and test_value_api.py); the fit reads nothing else."""
    from chalicelib.store.models import DAY_PREFIX, PurchaseDayItem, customer_pk

    rng = random.Random(seed)
    with PurchaseDayItem.batch_write() as batch:
        for number in range(count):
            rate = rng.gammavariate(0.8, 1 / 8)  # purchases per week
            drop = rng.betavariate(1.0, 3.0)
            level = rng.gammavariate(6, 500)  # this customer's typical spend, minor units
            day = NOW - timedelta(weeks=rng.uniform(10, 100))
            while day < NOW:
                key = day.date().isoformat()
                batch.save(PurchaseDayItem(customer_pk(f"c{number}"), DAY_PREFIX + key, customer_id=f"c{number}",
                                           day=key, orders=1, net_spend=int(rng.gammavariate(4, level / 4))))
                if rng.random() < drop:
                    break
                day += timedelta(weeks=rng.expovariate(rate) + 1 / 7)


@pytest.fixture
def rules_version(table):
    from chalicelib.services.rules import current_rules, forget_cached_rules

    def version():
        forget_cached_rules()
        return current_rules().version or 0

    return version


def test_the_fit_is_stored_with_its_date_and_sample_size_and_used_by_the_estimates(client, raw_client,
                                                                                  rules_version):
    write_customers(400)
    post(client, "/v1/customers/c1/orders", order_body("c1-order", NOW.isoformat()))
    result = CliRunner().invoke(cli, ["fit-value-model", "--json", "--segments", "3"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output[result.output.index("{"):])
    assert answer["stored"] is True and answer["customers"] == 400
    assert rules_version() == answer["rules_version"] == 1

    rules = raw_client.http.get("/v1/admin/rules", headers={"X-Operator": "dana"}).json_body
    model = rules["value_model"]["model"]
    assert model["sample_size"] == 400 and model["fitted_at"].startswith(NOW.date().isoformat())
    assert all(model["bgnbd"][name] > 0 for name in ("r", "alpha", "a", "b"))
    assert rules["value_model"]["policy"]["yearly_allowance"] == 5000  # the policy is kept
    note = raw_client.http.get("/v1/admin/customers/c1").json_body["value"]["note"]
    assert "fitted on 400 customers" in note


def test_a_dry_run_stores_nothing_and_a_thin_sample_is_refused_unless_forced(table, rules_version):
    write_customers(12)
    dry = CliRunner().invoke(cli, ["fit-value-model", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "not stored" in dry.output and rules_version() == 0
    thin = CliRunner().invoke(cli, ["fit-value-model"])
    assert thin.exit_code == 1 and "only 12 customers" in thin.output and rules_version() == 0
    forced = CliRunner().invoke(cli, ["fit-value-model", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "stored as rules version 1" in forced.output and rules_version() == 1


def test_fit_value_model_survives_scan_pages_that_time_out(table, monkeypatch):
    """A page slower than the read timeout, again and again (a large table): the request
    path's client gives up after three attempts; the batch read retries the page and finishes."""
    from botocore.endpoint import Endpoint
    from botocore.exceptions import ReadTimeoutError

    write_customers(400)
    real, timeouts = Endpoint._do_get_response, []

    def slow_first_page_of_segment_0(self, request, operation_model, context):
        body = json.loads(request.body or b"{}")
        if operation_model.name == "Scan" and body.get("Segment") == 0 and len(timeouts) < 4:
            timeouts.append(1)
            return None, ReadTimeoutError(endpoint_url=request.url)
        return real(self, request, operation_model, context)

    monkeypatch.setattr(Endpoint, "_do_get_response", slow_first_page_of_segment_0)
    result = CliRunner().invoke(cli, ["fit-value-model", "--dry-run", "--json", "--segments", "2"])
    assert result.exit_code == 0, result.output
    assert len(timeouts) == 4
    answer = json.loads(result.stdout[result.stdout.index("{\n"):])  # after any JSON log line
    assert "Scan page of segment 0 failed (ReadTimeoutError)" in result.output  # the retry is noted
    assert answer["customers"] == 400 and answer["reason"] == "dry run"
    assert answer["scan"]["purchase_days"] == answer["scan"]["items_scanned"] > 400
    assert f"scanned {answer['scan']['items_scanned']} items" in result.stderr
