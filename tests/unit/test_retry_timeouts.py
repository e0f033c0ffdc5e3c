"""A request that timed out is retried, not a crash: botocore's timeouts carry ``response = None``."""
from botocore.exceptions import ReadTimeoutError
from pynamodb.exceptions import GetError

from chalicelib.store.retry import is_busy


def test_a_read_timeout_is_busy_not_an_attribute_error():
    assert is_busy(GetError("timed out", cause=ReadTimeoutError(endpoint_url="http://localhost:8000")))
