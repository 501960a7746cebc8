"""Fixtures and helpers for the boto3 / aws CLI conformance suite.

The suite checks the local endpoint against Amazon Glacier's documented
behaviour (API version 2012-06-01), driving it with the machine's boto3 and
aws CLI. It needs an endpoint URL in GLACIER_CONFORMANCE_ENDPOINT (set by
conformance/run); without one it starts `node dist/local/cli.js` itself.
Tests that need jobs which stay InProgress use a second endpoint started
with `--job-delay 3600`.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import http.client
import io
import json
import os
import random
import re
import subprocess
import threading
import time
import urllib.parse
import uuid
from pathlib import Path
from unittest import mock

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parent.parent
# The endpoint launcher; GLACIER_LOCAL_CLI may point at another build of it.
CLI_JS = Path(os.environ.get("GLACIER_LOCAL_CLI") or ROOT / "dist" / "local" / "cli.js")

MiB = 1024 * 1024
REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"

ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


# --------------------------------------------------------------------------
# Independent helpers (no endpoint code involved)
# --------------------------------------------------------------------------

def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_hash(data: bytes) -> str:
    """Glacier's SHA-256 tree hash, written from the developer guide.

    Kept separate from botocore.utils.calculate_tree_hash so the suite checks
    the endpoint against two implementations.
    """
    if not data:
        return sha256_hex(b"")
    level = [hashlib.sha256(data[i:i + MiB]).digest() for i in range(0, len(data), MiB)]
    while len(level) > 1:
        nxt = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0].hex()


def random_bytes(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def vault_arn_pattern(name: str) -> re.Pattern:
    return re.compile(r"^arn:aws:glacier:%s:\d{12}:vaults/%s$" % (REGION, re.escape(name)))


def is_location(location: str, vault_name: str, *tail: str) -> bool:
    """A Location header: /ACCOUNT-ID/vaults/NAME[/kind/id], with the 12-digit account."""
    path = "/".join([re.escape(vault_name), *map(re.escape, tail)])
    return re.fullmatch(r"/\d{12}/vaults/" + path, location or "") is not None


def unique_name(prefix: str = "conf") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def client_error(code: str, status: int):
    """Expect a botocore ClientError with this error code and HTTP status."""
    holder: dict = {}
    with pytest.raises(ClientError) as info:
        yield holder
    err = info.value.response
    holder["response"] = err
    holder["message"] = err["Error"].get("Message", "")
    assert err["Error"]["Code"] == code, err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status, err


def wait_for_job(client, vault_name: str, job_id: str, timeout: float = 20.0) -> dict:
    """Poll DescribeJob until the job completes; return the final description."""
    deadline = time.monotonic() + timeout
    while True:
        desc = client.describe_job(vaultName=vault_name, jobId=job_id)
        if desc["Completed"]:
            return desc
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} did not complete within {timeout}s: {desc}")
        time.sleep(0.05)


def two_pages(call, key: str, **params) -> tuple[list, list]:
    """List with limit=2: the first page is full and has a Marker, the second ends the list."""
    first = call(limit="2", **params)
    assert len(first[key]) == 2, first
    assert first.get("Marker"), first
    second = call(limit="2", marker=first["Marker"], **params)
    assert "Marker" not in second, second
    return first[key], second[key]


def record_calls(client) -> list:
    """Record (operation, url_path, query) for every call the client makes."""
    calls: list = []

    def handler(model, params, **_):
        calls.append((model.name, params.get("url_path"), dict(params.get("query_string") or {})))

    client.meta.events.register("before-call.glacier", handler)
    return calls


# --------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------

class LocalEndpoint:
    """A `node dist/local/cli.js` process, stopped by close()."""

    def __init__(self, *args: str, timeout: float = 20.0, in_memory: bool = True):
        if not CLI_JS.exists():
            raise RuntimeError(f"{CLI_JS} is missing: run `npm run build` first")
        storage = ["--in-memory"] if in_memory else []
        self.proc = subprocess.Popen(
            ["node", str(CLI_JS), "--port", "0", *storage, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        found: dict = {}
        ready = threading.Event()

        def reader():
            for line in self.proc.stdout:
                m = re.search(r"listening on (http://\S+)", line)
                if m and "url" not in found:
                    found["url"] = m.group(1).rstrip("/")
                    ready.set()
            ready.set()

        threading.Thread(target=reader, daemon=True).start()
        if not ready.wait(timeout) or "url" not in found:
            self.close()
            raise RuntimeError(f"the endpoint did not start within {timeout}s")
        self.url = found["url"]

    def kill(self):
        """SIGKILL, as a crash would."""
        self.proc.kill()
        self.proc.wait(5)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture(scope="session")
def endpoint():
    url = os.environ.get("GLACIER_CONFORMANCE_ENDPOINT")
    if url:
        yield url.rstrip("/")
        return
    server = LocalEndpoint("--job-delay", "0")
    try:
        yield server.url
    finally:
        server.close()


@pytest.fixture(scope="session")
def delayed_endpoint():
    """A second endpoint whose jobs stay InProgress for an hour."""
    server = LocalEndpoint("--job-delay", "3600")
    try:
        yield server.url
    finally:
        server.close()


@functools.lru_cache(maxsize=None)
def make_session(access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY):
    """One boto3 session per credential pair, so the service model loads once."""
    return boto3.session.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=REGION,
    )


CLIENT_CONFIG = Config(
    retries={"total_max_attempts": 1},
    connect_timeout=5,
    read_timeout=30,
)


def make_client(url: str, **creds):
    return make_session(**creds).client("glacier", endpoint_url=url, config=CLIENT_CONFIG)


def make_resource(url: str, **creds):
    return make_session(**creds).resource("glacier", endpoint_url=url, config=CLIENT_CONFIG)


@pytest.fixture
def client(endpoint):
    return make_client(endpoint)


@pytest.fixture
def glacier(endpoint):
    return make_resource(endpoint)


@pytest.fixture
def delayed_client(delayed_endpoint):
    return make_client(delayed_endpoint)


@pytest.fixture
def delayed_glacier(delayed_endpoint):
    return make_resource(delayed_endpoint)


@pytest.fixture
def vault_name():
    return unique_name()


@pytest.fixture
def vault(glacier, vault_name):
    """A freshly created, empty vault (boto3 resource)."""
    v = glacier.create_vault(vaultName=vault_name)
    return v


# --------------------------------------------------------------------------
# Raw signed HTTP, to see exactly what the endpoint sends back
# --------------------------------------------------------------------------

class RawResponse:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def signed_headers(url: str, method: str, path: str, headers: dict | None = None, body: bytes = b"",
                   access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY, service: str = "glacier",
                   signed_at: datetime.datetime | None = None) -> dict:
    """The headers of a SigV4-signed request, as botocore would send them."""
    hdrs = {"x-amz-glacier-version": "2012-06-01"}
    hdrs.update(headers or {})
    hdrs = {k: v for k, v in hdrs.items() if v is not None}  # None removes a header
    request = AWSRequest(method=method, url=url + path, data=body, headers=hdrs)
    request.context["payload_signing_enabled"] = True
    signer = SigV4Auth(Credentials(access_key, secret_key), service, REGION)
    if signed_at is None:
        signer.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
            signer.add_auth(request)
    return dict(request.prepare().headers.items())


def raw_request(url: str, method: str, path: str, headers: dict | None = None,
                body: bytes = b"", sign: bool = True, access_key: str = ACCESS_KEY,
                secret_key: str = SECRET_KEY, service: str = "glacier",
                signed_at: datetime.datetime | None = None) -> RawResponse:
    """Send one SigV4-signed (or unsigned) request with http.client.

    `service` and `signed_at` change the credential scope and the signing
    time, to check how the endpoint treats a mis-scoped or stale signature.
    """
    parsed = urllib.parse.urlsplit(url)
    if sign:
        send_headers = signed_headers(url, method, path, headers, body, access_key, secret_key, service, signed_at)
    else:
        send_headers = {k: v for k, v in {"x-amz-glacier-version": "2012-06-01", **(headers or {})}.items()
                        if v is not None}
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=send_headers)
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


@pytest.fixture
def raw(endpoint):
    def send(method: str, path: str, **kw) -> RawResponse:
        return raw_request(endpoint, method, path, **kw)

    return send


def upload(client, vault_name: str, data: bytes, description: str | None = None) -> dict:
    kw = {"vaultName": vault_name, "body": io.BytesIO(data)}
    if description is not None:
        kw["archiveDescription"] = description
    return client.upload_archive(**kw)
