"""Loaded at start-up by every Python process that ``bench/import.py`` runs (it puts this folder
on ``PYTHONPATH``), so the import's own process and any worker process it starts (fork or spawn)
count their DynamoDB requests: by operation, the items each wrote (a BatchWriteItem's unprocessed
items and the import's own ``IMPORT#`` bookkeeping left out), the seconds spent waiting for answers (summed over threads) and the process's
CPU time. Each process rewrites ``$BENCH_COUNT_DIR/<pid>.json`` after every request; the bench
adds the files up. Does nothing unless ``BENCH_COUNT_DIR`` is set.
"""
import os

_DIRECTORY = os.environ.get("BENCH_COUNT_DIR")

if _DIRECTORY:
    import json
    import resource
    import threading
    import time

    import botocore.client

    _lock = threading.Lock()
    _counts: dict = {}
    _original = botocore.client.BaseClient._make_api_call

    def _ours(request: dict) -> int:
        """1 for a write of the store's data, 0 for the import's own bookkeeping (``IMPORT#``:
        status, chunks, report), which a re-import writes again without changing any order."""
        keys = request.get("Item") or request.get("Key") or {}
        return 0 if keys.get("pk", {}).get("S", "").startswith("IMPORT#") else 1

    def _written(operation: str, params: dict, response: dict) -> int:
        if operation == "TransactWriteItems":
            return sum(_ours(next(iter(item.values()))) for item in params.get("TransactItems", []))
        if operation == "BatchWriteItem":
            sent = sum(_ours(next(iter(r.values()))) for requests in params.get("RequestItems", {}).values()
                       for r in requests)
            return sent - sum(len(left) for left in (response.get("UnprocessedItems") or {}).values())
        return _ours(params) if operation in ("PutItem", "UpdateItem", "DeleteItem") else 0

    def _dump() -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        path = os.path.join(_DIRECTORY, f"{os.getpid()}.json")
        with open(path + ".tmp", "w") as out:
            json.dump({"operations": _counts, "cpu_seconds": usage.ru_utime + usage.ru_stime}, out)
        os.replace(path + ".tmp", path)

    def _counted(self, operation_name, api_params):
        if self.meta.service_model.service_name != "dynamodb":
            return _original(self, operation_name, api_params)
        started = time.perf_counter()
        response = None  # stays None when the request failed: it wrote nothing
        try:
            response = _original(self, operation_name, api_params)
            return response
        finally:
            elapsed = time.perf_counter() - started
            with _lock:
                entry = _counts.setdefault(operation_name, {"requests": 0, "items": 0, "seconds": 0.0})
                entry["requests"] += 1
                entry["items"] += 0 if response is None else _written(operation_name, api_params, response)
                entry["seconds"] += elapsed
                _dump()

    botocore.client.BaseClient._make_api_call = _counted
