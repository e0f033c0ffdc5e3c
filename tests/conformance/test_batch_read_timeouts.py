"""Batch reads have their own timeouts: a Scan page slower than the request path's 4 s read
timeout is waited for, not abandoned (issue 11: every ``fit-value-model`` run on a 70,000-order
table died with ``ScanError: Read timeout``).

A real socket read timeout needs a real server: DynamoDB Local behind a small proxy that
holds every Scan answer for longer than the request path would wait.
"""
import http.client
import json
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner

from chalicelib.cli import cli
from chalicelib.config import settings
from chalicelib.services.rules import forget_cached_rules
from chalicelib.store import models
from chalicelib.store.table import create_table

SCAN_DELAY_SECONDS = 5.0  # longer than the request path's 4 s read timeout (store/models.py)


def slow_scan_proxy(endpoint: str) -> ThreadingHTTPServer:
    """A proxy to ``endpoint`` that answers every Scan ``SCAN_DELAY_SECONDS`` late."""
    upstream = urlparse(endpoint)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            connection.request("POST", self.path, body, dict(self.headers.items()))
            answer = connection.getresponse()
            data = answer.read()
            if self.headers.get("X-Amz-Target", "").endswith(".Scan"):
                time.sleep(SCAN_DELAY_SECONDS)
            try:
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def slow_table(dynamodb_local_endpoint, monkeypatch):
    name = f"loyalty-conformance-{uuid.uuid4().hex[:8]}"
    models.configure(name, "eu-west-2", dynamodb_local_endpoint)
    create_table()
    with models.PurchaseDayItem.batch_write() as batch:
        for number in range(150):
            for day in ("2025-01-10", "2025-06-01", "2026-02-03"):
                batch.save(models.PurchaseDayItem(models.customer_pk(f"c{number}"), models.DAY_PREFIX + day,
                                                  customer_id=f"c{number}", day=day, orders=1,
                                                  net_spend=1000 + number))
    proxy = slow_scan_proxy(dynamodb_local_endpoint)
    # The CLI chooses its table from the environment (chalicelib/operator_target.py).
    monkeypatch.setenv("DYNAMODB_ENDPOINT", f"http://127.0.0.1:{proxy.server_address[1]}")
    monkeypatch.setenv("LOYALTY_TABLE", name)
    monkeypatch.setenv("LOYALTY_BACKEND", "dynamodb-local")
    settings.cache_clear()
    yield name
    monkeypatch.undo()
    settings.cache_clear()
    proxy.shutdown()
    models.configure(name, "eu-west-2", dynamodb_local_endpoint)
    models.TableItem.delete_table()
    models.configure("loyalty-test", "eu-west-2", None)
    forget_cached_rules()


def test_fit_value_model_waits_for_a_scan_page_slower_than_the_request_timeout(slow_table):
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["fit-value-model", "--dry-run", "--json", "--segments", "1"])
    assert result.exit_code == 0, result.output
    answer, _ = json.JSONDecoder().raw_decode(result.output[result.output.index("{"):])
    assert answer["customers"] == 150 and answer["scan"]["purchase_days"] == 450
    assert time.perf_counter() - started >= SCAN_DELAY_SECONDS
    assert answer["model"]["fitted_at"].startswith(datetime.now(timezone.utc).date().isoformat())
