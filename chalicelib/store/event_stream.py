"""The table's stream, as the events consumer reads it: records to :class:`ItemChange`, the
per-customer :class:`TierWatch`, the import report item, and (for
``make run`` and tests) a reader of a local table's stream that hands on Lambda-shaped records.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from boto3.dynamodb.types import TypeDeserializer
from pynamodb.exceptions import PutError

from ..domain.events import ItemChange, MalformedChange, TierWatch
from .models import (
    CREDIT_GRANT_PREFIX, IMPORT_REPORT_SK, MONTH_PREFIX, PROFILE_SK, TIER_WATCH_SK, ImportReportItem, TableItem,
    TierWatchItem, audit_sk, customer_pk, key_range, order_pk,
)

_deserializer = TypeDeserializer()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [_plain(item) for item in value]
    return value


def _image(raw: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    if raw is None:
        return None
    return {name: _plain(_deserializer.deserialize(value)) for name, value in raw.items()}


def change_from_record(record: Mapping[str, Any]) -> ItemChange:
    """A Lambda DynamoDB stream record (``Records[n]``) as an :class:`ItemChange`."""
    try:
        body = record["dynamodb"]
        created = body["ApproximateCreationDateTime"]
        at = created if isinstance(created, datetime) else datetime.fromtimestamp(float(created), timezone.utc)
        identity = record.get("userIdentity") or {}
        by_ttl = identity.get("type") == "Service" and identity.get("principalId") == "dynamodb.amazonaws.com"
        return ItemChange(record["eventName"], _image(body.get("Keys")) or {}, _image(body.get("OldImage")),
                          _image(body.get("NewImage")), str(body["SequenceNumber"]), at.astimezone(timezone.utc),
                          by_ttl)
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedChange(f"stream record unreadable ({type(error).__name__})") from None


# ------------------------------------------------------------------ tier watch


def load_tier_watch(customer_id: str) -> Optional[TierWatch]:
    try:
        item = TierWatchItem.get(customer_pk(customer_id), TIER_WATCH_SK, consistent_read=True)
    except TierWatchItem.DoesNotExist:
        return None
    return TierWatch.from_json(item.watch)


def save_tier_watch(watch: TierWatch, read_sequence: Optional[str]) -> bool:
    """Store the watch if nobody moved it since it was read; False when somebody did."""
    condition = (TierWatchItem.pk.does_not_exist() if read_sequence is None
                 else TierWatchItem.sequence == read_sequence)
    try:
        TierWatchItem(customer_pk(watch.customer_id), TIER_WATCH_SK, customer_id=watch.customer_id,
                      watch=watch.to_json(), sequence=watch.sequence).save(condition=condition)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def tier_inputs_now(customer_id: str) -> Tuple[Optional[Dict[str, Any]], Dict[str, Tuple[int, int]]]:
    """The profile (as an image) and monthly buckets as the table holds them now: the start of a
    watch for a customer whose earlier changes the consumer never saw."""
    connection = TableItem._get_connection()
    raw = connection.get_item(customer_pk(customer_id), PROFILE_SK, consistent_read=True).get("Item")
    months: Dict[str, Tuple[int, int]] = {}
    for item in TableItem.query(customer_pk(customer_id), key_range(MONTH_PREFIX), consistent_read=True):
        months[item.month] = (int(item.orders or 0), int(item.net_spend or 0))
    return _image(raw), months


# ------------------------------------------------------------------ credit expiry and replay


def credit_grant_image(customer_id: str, grant_id: str) -> Optional[Dict[str, Any]]:
    """A credit grant as the stream would show it (plain values), read consistently."""
    raw = TableItem._get_connection().get_item(customer_pk(customer_id), CREDIT_GRANT_PREFIX + grant_id,
                                               consistent_read=True).get("Item")
    return _image(raw)


def _partition(pk: str) -> Iterator[Dict[str, Any]]:
    connection, start = TableItem._get_connection(), None
    while True:
        answer = connection.query(pk, consistent_read=True, exclusive_start_key=start)
        for raw in answer.get("Items", []):
            yield _image(raw)
        start = answer.get("LastEvaluatedKey")
        if not start:
            return


def customer_event_items(customer_id: str) -> List[Dict[str, Any]]:
    """What a replay of the customer's events reads, as plain images: every item of the
    customer's partition, the partitions of the orders its ledger names (the order and its
    events), and, for a record merged into another, the target's audit of that merge.
    Reads grow with the customer's history (one Query per order): an operator's command."""
    items = list(_partition(customer_pk(customer_id)))
    order_ids = sorted({item["order_id"] for item in items if item.get("item_type") == "ledger" and item.get("order_id")})
    for order_id in order_ids:
        items.extend(_partition(order_pk(order_id)))
    profile = next((item for item in items if item.get("item_type") == "profile"), None)
    if profile is not None and profile.get("merged_into"):
        raw = TableItem._get_connection().get_item(customer_pk(profile["merged_into"]),
                                                   audit_sk("merge", customer_id), consistent_read=True).get("Item")
        if raw is not None:
            items.append(_image(raw))
    return items


# ------------------------------------------------------------------ import report


def save_import_report(import_id: str, finished_at: datetime, counts: Mapping[str, int],
                       report_location: Optional[str], once: bool = False) -> bool:
    """Write the import's ``REPORT``; with ``once``, only if absent (a fanned-out import's last
    chunks may both see it complete: one item, one ``import.finished``). False when it was there."""
    item = ImportReportItem(f"IMPORT#{import_id}", IMPORT_REPORT_SK, import_id=import_id, finished_at=finished_at,
                            report_location=report_location, **{name: int(counts.get(name, 0)) for name in
                                                                ("rows", "imported", "already_present", "rejected",
                                                                 "customers")})
    try:
        item.save(condition=ImportReportItem.pk.does_not_exist() if once else None)
    except PutError as error:
        if once and error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


# ------------------------------------------------------------------ local stream reader


class LocalStreamReader:
    """Reads a local table's stream (DynamoDB Local or moto) shard by shard, as Lambda would,
    and yields batches of Lambda-shaped records (``eventSourceARN`` and an epoch
    ``ApproximateCreationDateTime`` added), so the Lambda handler's code runs on them unchanged.
    ``ack`` moves a shard's position past a record; an unacknowledged record is read again."""

    def __init__(self, endpoint: str, region: str, table: str, from_start: bool = True) -> None:
        import boto3

        session = dict(region_name=region, endpoint_url=endpoint, aws_access_key_id="local",
                       aws_secret_access_key="local")
        self._dynamodb = boto3.client("dynamodb", **session)
        self._streams = boto3.client("dynamodbstreams", **session)
        self._table = table
        self._from_start = from_start
        self._iterators: Dict[str, Optional[str]] = {}
        self._positions: Dict[str, str] = {}
        self.stream_arn = self._dynamodb.describe_table(TableName=table)["Table"].get("LatestStreamArn")
        if not self.stream_arn:
            raise RuntimeError(f"table {table} has no stream")

    def _refresh_shards(self) -> None:
        shards = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id in self._iterators:
                continue
            kind = "TRIM_HORIZON" if self._from_start else "LATEST"
            self._iterators[shard_id] = self._streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType=kind)["ShardIterator"]
        self._from_start = True  # shards that appear later are read from their start

    def batches(self, limit: int = 100) -> Iterator[Tuple[str, List[dict]]]:
        """(shard id, records) for every shard with records now; empty when caught up."""
        self._refresh_shards()
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            answer = self._streams.get_records(ShardIterator=iterator, Limit=limit)
            records = [self._lambda_shaped(record) for record in answer.get("Records", [])]
            self._iterators[shard_id] = answer.get("NextShardIterator")
            if records:
                yield shard_id, records

    def rewind(self, shard_id: str, after_sequence: Optional[str], failed_sequence: str) -> None:
        """Read a shard again from ``failed_sequence`` (a reported batch item failure)."""
        self._iterators[shard_id] = self._streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=failed_sequence)["ShardIterator"]

    def _lambda_shaped(self, record: Dict[str, Any]) -> Dict[str, Any]:
        body = dict(record["dynamodb"])
        created = body.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            body["ApproximateCreationDateTime"] = created.timestamp()
        return {**record, "dynamodb": body, "eventSourceARN": self.stream_arn}


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)

