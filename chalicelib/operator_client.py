"""The operator CLI's HTTP client for ``/v1/admin/*``: the same routes support staff use.

Against a deployed stage, requests are signed with the operator's AWS credentials (SigV4,
service ``execute-api``) through botocore, so IAM knows who they are. Against the local
stage (127.0.0.1), where IAM is not enforced, the operator's name travels in ``X-Operator``.
Not used by the Lambda functions.
"""
from __future__ import annotations

import getpass
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Tuple
from urllib.parse import urlparse

LOCAL_CREDENTIALS = Path(__file__).resolve().parent.parent / ".data" / "local-credentials.json"
Transport = Callable[[str, str, dict, Optional[bytes]], Tuple[int, dict]]


@dataclass
class OperatorClient:
    base_url: str
    transport: Optional[Transport] = None

    @classmethod
    def from_environment(cls, api_url: Optional[str] = None) -> "OperatorClient":
        url = api_url or os.environ.get("LOYALTY_API_URL")
        if not url and LOCAL_CREDENTIALS.exists():
            url = json.loads(LOCAL_CREDENTIALS.read_text(encoding="utf-8"))["base_url"]
        if not url:
            raise SystemExit("no API: pass --api URL or set LOYALTY_API_URL (make run writes a local one)")
        return cls(url.rstrip("/"))

    @property
    def is_local(self) -> bool:
        return urlparse(self.base_url).hostname in ("127.0.0.1", "localhost", "::1")

    def call(self, method: str, path: str, body: Optional[dict] = None) -> Tuple[int, dict]:
        url = self.base_url + path
        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.is_local:
            headers["X-Operator"] = getpass.getuser()
        else:
            headers = _signed(method, url, headers, data)
        return (self.transport or _urllib)(method, url, headers, data)


def _signed(method: str, url: str, headers: dict, data: Optional[bytes]) -> dict:
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    session = botocore.session.get_session()
    credentials = session.get_credentials()
    if credentials is None:
        raise SystemExit("no AWS credentials to sign the request with (IAM protects /v1/admin)")
    host = urlparse(url).hostname or ""
    parts = host.split(".")  # <api-id>.execute-api.<region>.amazonaws.com: sign for the API's own region
    region = (parts[2] if len(parts) > 3 and parts[1] == "execute-api"
              else session.get_config_variable("region") or os.environ.get("AWS_DEFAULT_REGION", "eu-west-2"))
    request = AWSRequest(method=method, url=url, data=data, headers=headers)
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return dict(request.headers.items())


def _urllib(method: str, url: str, headers: dict, data: Optional[bytes]) -> Tuple[int, dict]:
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body or b"{}")
        except ValueError:
            return error.code, {"error": {"code": "http", "message": body.decode("utf-8", "replace")}}
    except urllib.error.URLError as error:
        return 599, {"error": {"code": "unreachable", "message": f"cannot reach {url}: {error.reason}"}}
