"""Reads for batch work (the value-model fit, backfills): a client of their own, page-level
retry and progress.

The request path fails fast: a 4 s read timeout and two retries, so a checkout answers or
fails within its budget. A Scan page of a large table can take longer than that (DynamoDB
Local, a cold or throttled table, segments competing for the same cores), and a batch that
has read most of the table must not die on one slow page. Batch reads therefore use their
own botocore client with long timeouts (``LOYALTY_BATCH_READ_TIMEOUT_SECONDS``, default 60)
and botocore's standard retries within a page; a page that still fails is read again from its
own start key with full-jitter backoff (``LOYALTY_BATCH_PAGE_ATTEMPTS``, default 6), so a
failure costs one page, never the run.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Type

from ..config import settings
from ..domain.errors import ServiceUnavailable
from .models import TableItem
from .retry import BUSY_ERROR_CODES

logger = logging.getLogger("loyalty-api.batch")
_clients: Dict[Tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()


@dataclass(frozen=True)
class Page:
    """One Scan page: the items of the model asked for, and how many items the page read."""

    items: List[TableItem]
    scanned: int


def _client():
    """One botocore client per table endpoint and settings, shared by the segments' threads
    (clients are thread-safe; creating them is not, hence the lock)."""
    import boto3
    from botocore.config import Config

    config = settings()
    key = (TableItem.Meta.region, TableItem.Meta.host, config.batch_read_timeout_seconds)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = boto3.session.Session().client(
                "dynamodb", region_name=TableItem.Meta.region, endpoint_url=TableItem.Meta.host,
                config=Config(connect_timeout=10, read_timeout=config.batch_read_timeout_seconds,
                              retries={"mode": "standard", "total_max_attempts": 3}, max_pool_connections=64))
        return _clients[key]


def approximate_item_count() -> Optional[int]:
    """The table's item count as DescribeTable reports it (AWS refreshes it about every six
    hours): the length of a progress bar, never a figure to act on."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return int(_client().describe_table(TableName=TableItem.Meta.table_name)["Table"]["ItemCount"])
    except (BotoCoreError, ClientError):  # a progress bar without a length is fine
        return None


def scan_pages(model: Type[TableItem], attributes: Sequence[str], segment: int,
               total_segments: int) -> Iterator[Page]:
    """Every page of one segment of a parallel Scan, keeping the items of ``model`` with the
    given attributes only (the keys and the type are always read)."""
    names = {f"#a{n}": name for n, name in enumerate(dict.fromkeys(["pk", "sk", "item_type", *attributes]))}
    request: Dict[str, Any] = {
        "TableName": TableItem.Meta.table_name,
        "Segment": segment,
        "TotalSegments": total_segments,
        "FilterExpression": "#a2 = :type",
        "ProjectionExpression": ", ".join(names),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {":type": {"S": model._get_discriminator_attribute().serialize(model)}},
    }
    start_key = None
    while True:
        page = _read_page(request if start_key is None else {**request, "ExclusiveStartKey": start_key}, segment)
        yield Page([model.from_raw_data(item) for item in page.get("Items", [])], int(page.get("ScannedCount", 0)))
        start_key = page.get("LastEvaluatedKey")
        if not start_key:
            return


def scan_pages_of(models: Sequence[Type[TableItem]], segment: int, total_segments: int) -> Iterator[Page]:
    """Every page of one segment of a parallel Scan, keeping the whole items of any of
    ``models`` (one pass over the table for a job that needs several item types)."""
    values = {f":t{n}": {"S": model._get_discriminator_attribute().serialize(model)} for n, model in enumerate(models)}
    request: Dict[str, Any] = {
        "TableName": TableItem.Meta.table_name,
        "Segment": segment,
        "TotalSegments": total_segments,
        "FilterExpression": f"#type IN ({', '.join(values)})",
        "ExpressionAttributeNames": {"#type": "item_type"},
        "ExpressionAttributeValues": values,
    }
    start_key = None
    while True:
        page = _read_page(request if start_key is None else {**request, "ExclusiveStartKey": start_key}, segment)
        yield Page([TableItem.from_raw_data(item) for item in page.get("Items", [])], int(page.get("ScannedCount", 0)))
        start_key = page.get("LastEvaluatedKey")
        if not start_key:
            return


def _read_page(request: Dict[str, Any], segment: int) -> Dict[str, Any]:
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    attempts = settings().batch_page_attempts
    for attempt in range(1, attempts + 1):
        try:
            return _client().scan(**request)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in BUSY_ERROR_CODES:
                raise
            problem: Exception = error
        except (ConnectionError, HTTPClientError) as error:  # read and connect timeouts included
            problem = error
        if attempt == attempts:
            raise ServiceUnavailable(f"a Scan page of segment {segment} failed {attempts} times "
                                     f"({type(problem).__name__}); run the command again") from problem
        pause = random.uniform(0, min(30.0, 2.0 ** attempt))
        logger.warning("Scan page of segment %s failed (%s), attempt %s of %s; reading it again in %.1f s",
                       segment, type(problem).__name__, attempt, attempts, pause)
        time.sleep(pause)
    raise AssertionError("unreachable")


def scan_raw_pages(segment: int, total_segments: int) -> Iterator[Tuple[List[Dict[str, Any]], int]]:
    """Every page of one segment of a parallel Scan of the whole table, items as DynamoDB JSON
    (``{"pk": {"S": ...}, ...}``, what an export to S3 holds), with the number of items read."""
    request: Dict[str, Any] = {"TableName": TableItem.Meta.table_name, "Segment": segment,
                               "TotalSegments": total_segments}
    start_key = None
    while True:
        page = _read_page(request if start_key is None else {**request, "ExclusiveStartKey": start_key}, segment)
        yield page.get("Items", []), int(page.get("ScannedCount", 0))
        start_key = page.get("LastEvaluatedKey")
        if not start_key:
            return


def table_description() -> Dict[str, Any]:
    """The table's name, region and ARN (DescribeTable), for an export's manifest."""
    table = _client().describe_table(TableName=TableItem.Meta.table_name)["Table"]
    return {"name": table["TableName"], "arn": table.get("TableArn", ""), "id": table.get("TableId", ""),
            "region": TableItem.Meta.region}
