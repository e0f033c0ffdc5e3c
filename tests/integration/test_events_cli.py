"""``python -m chalicelib.cli events tail`` prints the events file make run writes."""
import json
from datetime import datetime, timezone

from click.testing import CliRunner

from chalicelib.cli import cli
from chalicelib.domain.events import DomainEvent
from chalicelib.event_bus import JsonlPublisher


def test_events_tail_prints_one_short_line_an_event_or_the_json(tmp_path):
    path = tmp_path / "events.jsonl"
    JsonlPublisher(path).publish([
        DomainEvent("e-1", "customer.tier_changed", "c-1", datetime(2026, 11, 23, tzinfo=timezone.utc),
                    {"from": "Member", "to": "Silver"}),
        DomainEvent("e-2", "order.recorded", "c-1", datetime(2026, 11, 23, tzinfo=timezone.utc), {"order_id": "o-9"})])
    short = CliRunner().invoke(cli, ["events", "tail", "--file", str(path), "--once"])
    assert short.exit_code == 0, short.output
    assert short.output.splitlines() == ["[event] customer.tier_changed c-1 Member -> Silver",
                                         "[event] order.recorded c-1 o-9"]
    raw = CliRunner().invoke(cli, ["events", "tail", "--file", str(path), "--once", "--json"])
    assert [json.loads(line)["event_id"] for line in raw.output.splitlines()] == ["e-1", "e-2"]
