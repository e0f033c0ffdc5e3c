"""The SQL that summarises an export's purchase days gives, customer by customer, the summary the
Scan path computes in Python from the same items (domain/customer_value.py)."""
import gzip
import json
import random
from collections import defaultdict
from datetime import date, timedelta

from batch.dynamodb_export import Export
from batch.export_summaries import summaries_from_rows, summary_rows
from chalicelib.domain.customer_value import spend_by_purchase_day, summarize_purchase_days

AS_OF = date(2026, 12, 4)


def day_item(customer, day, orders, net_spend):
    return {"pk": {"S": f"CUSTOMER#{customer}"}, "sk": {"S": f"DAY#{day}"}, "item_type": {"S": "purchase_day"},
            "customer_id": {"S": customer}, "day": {"S": day}, "orders": {"N": str(orders)},
            "net_spend": {"N": str(net_spend)}}


def test_summaries_from_sql_are_the_scan_paths_summaries_edge_cases_included(tmp_path):
    rng = random.Random(19)
    buckets = defaultdict(list)
    items = []
    for number in range(200):
        customer = f"c{number}"
        for _ in range(rng.randint(1, 6)):
            # Days after as_of (clock skew) fold into as_of; cancelled days (orders 0) and
            # negative net spend (refunds beyond the day's orders) occur.
            day = (AS_OF + timedelta(days=rng.randint(-400, 3))).isoformat()
            orders, net_spend = rng.choice([0, 1, 1, 2]), rng.randint(-500, 9000)
            if any(existing[0] == day for existing in buckets[customer]):
                continue  # one item per customer and day, as in the table
            buckets[customer].append((day, orders, net_spend))
            items.append(day_item(customer, day, orders, net_spend))
    items.append({"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "PROFILE"}, "item_type": {"S": "profile"},
                  "months": {"M": {"2026-11": {"N": "3"}}}})  # other items are skipped
    files = []
    for part in range(3):
        path = tmp_path / f"part{part}.json.gz"
        with gzip.open(path, "wt", encoding="utf-8") as out:
            for item in items[part::3]:
                out.write(json.dumps({"Item": item}) + "\n")
        files.append(path)

    rows = summary_rows(Export(tmp_path, {}, files), AS_OF)
    from_sql = dict(zip((row[0] for row in rows), summaries_from_rows(rows)))
    expected = {}
    for customer, days in buckets.items():
        spend = spend_by_purchase_day(days, AS_OF)
        if spend:
            expected[customer] = summarize_purchase_days(spend, AS_OF)
    assert from_sql == expected and len(expected) > 150
