"""``make run``'s events consumer: reads the local table's stream and runs the Lambda handler's
code (chalicelib/services/stream_events.py) on Lambda-shaped records; each event goes to
``.data/events.jsonl`` (one JSON object a line) and one short line to the console.

    python -m devtools.local_events      # with the app's local environment (make run sets it)
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from chalicelib.event_bus import JsonlPublisher
from chalicelib.services.stream_events import consume
from chalicelib.store.event_stream import LocalStreamReader

EVENTS_FILE = Path(__file__).resolve().parent.parent / ".data" / "events.jsonl"


def main() -> int:
    endpoint = os.environ["DYNAMODB_ENDPOINT"]
    reader = LocalStreamReader(endpoint, os.environ.get("AWS_DEFAULT_REGION", "eu-west-2"),
                               os.environ.get("LOYALTY_TABLE", "loyalty-local"), from_start=False)
    publisher = JsonlPublisher(Path(os.environ.get("LOYALTY_EVENTS_FILE") or EVENTS_FILE), console=sys.stdout)
    while True:
        seen = consume(reader.batches(), publisher, lambda shard, sequence: reader.rewind(shard, None, sequence))
        if not seen:
            time.sleep(0.2)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
