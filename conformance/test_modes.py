"""Endpoints started with other options: AWS-like daily inventory, and faults
shaped like AWS's, seen through botocore's own retry logic."""

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.utils import calculate_tree_hash

from conftest import (
    LocalEndpoint,
    client_error,
    make_session,
    random_bytes,
    raw_request,
    unique_name,
    upload,
    wait_for_job,
)


@pytest.fixture(scope="module")
def daily_endpoint():
    server = LocalEndpoint("--job-delay", "0", "--inventory", "daily")
    try:
        yield server.url
    finally:
        server.close()


def client_for(url, attempts=1):
    config = Config(retries={"total_max_attempts": attempts, "mode": "standard"}, connect_timeout=5, read_timeout=30)
    return make_session().client("glacier", endpoint_url=url, config=config)


# ---------------------------------------------------------------- daily inventory

def test_daily_inventory_counts_lag_behind_writes(daily_endpoint):
    client = client_for(daily_endpoint)
    name = unique_name("daily")
    client.create_vault(vaultName=name)

    upload(client, name, b"written today")

    described = client.describe_vault(vaultName=name)
    # Counts come from the last inventory, and none has been taken yet.
    assert described["NumberOfArchives"] == 0
    assert described["SizeInBytes"] == 0
    assert "LastInventoryDate" not in described


def test_daily_inventory_refuses_delete_of_recently_written_vault(daily_endpoint):
    client = client_for(daily_endpoint)
    name = unique_name("daily")
    client.create_vault(vaultName=name)
    archive_id = upload(client, name, b"short-lived")["archiveId"]
    client.delete_archive(vaultName=name, archiveId=archive_id)

    with client_error("InvalidParameterValueException", 400) as err:
        client.delete_vault(vaultName=name)

    assert err["message"].startswith("Vault not empty or recently written to")
    assert client.describe_vault(vaultName=name)["VaultName"] == name


def test_daily_inventory_never_written_vault_deletes(daily_endpoint):
    client = client_for(daily_endpoint)
    name = unique_name("daily")
    client.create_vault(vaultName=name)

    client.delete_vault(vaultName=name)

    with client_error("ResourceNotFoundException", 404):
        client.describe_vault(vaultName=name)


# ---------------------------------------------------------------- faults

@pytest.fixture
def faulty():
    servers = []

    def start(spec):
        server = LocalEndpoint("--job-delay", "0", "--faults", spec)
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.close()


def test_500_is_service_unavailable_and_retried(faulty):
    url = faulty("DescribeVault:1#1:500")
    setup = client_for(url)
    name = unique_name("fault")
    setup.create_vault(vaultName=name)

    described = client_for(url, attempts=3).describe_vault(vaultName=name)

    assert described["VaultName"] == name
    assert described["ResponseMetadata"]["RetryAttempts"] == 1


def test_500_error_shape(faulty):
    url = faulty("ListVaults:1:500")

    response = raw_request(url, "GET", "/-/vaults")

    assert response.status == 500
    body = response.json()
    assert body["code"] == "ServiceUnavailableException"
    assert body["type"] == "Server"
    assert response.headers.get("x-amzn-requestid")
    with client_error("ServiceUnavailableException", 500):
        client_for(url).list_vaults()


def test_throttling_is_retried(faulty):
    url = faulty("ListVaults:1#2:throttle")

    listed = client_for(url, attempts=3).list_vaults()

    assert listed["ResponseMetadata"]["RetryAttempts"] == 2


def test_request_timeout_is_408_and_retried(faulty):
    url = faulty("ListVaults:1#2:408")

    with client_error("RequestTimeoutException", 408):
        client_for(url).list_vaults()
    listed = client_for(url, attempts=2).list_vaults()

    assert listed["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert listed["ResponseMetadata"]["RetryAttempts"] == 1


def test_corrupt_output_is_caught_by_the_tree_hash(faulty):
    url = faulty("GetJobOutput:1:corrupt")
    client = client_for(url)
    name = unique_name("fault")
    client.create_vault(vaultName=name)
    data = random_bytes(300_000, 500)
    archive_id = upload(client, name, data)["archiveId"]
    job_id = client.initiate_job(vaultName=name, jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id})["jobId"]
    wait_for_job(client, name, job_id)

    out = client.get_job_output(vaultName=name, jobId=job_id)
    body = out["body"].read()

    assert len(body) == len(data)
    assert body != data
    assert out["checksum"] == calculate_tree_hash(io.BytesIO(data))
    assert calculate_tree_hash(io.BytesIO(body)) != out["checksum"]


def test_faults_touch_only_the_named_operation(faulty):
    url = faulty("UploadArchive:1:500")
    client = client_for(url)
    name = unique_name("fault")

    client.create_vault(vaultName=name)
    with pytest.raises(ClientError) as info:
        upload(client, name, b"refused")

    assert info.value.response["Error"]["Code"] == "ServiceUnavailableException"
    assert client.describe_vault(vaultName=name)["NumberOfArchives"] == 0


# ---------------------------------------------------------------- account limits

def test_one_thousand_vaults_per_account():
    server = LocalEndpoint("--job-delay", "0")
    try:
        client = client_for(server.url)
        names = [f"limit-{i:04d}" for i in range(1000)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda name: client.create_vault(vaultName=name), names))

        with client_error("LimitExceededException", 400):
            client.create_vault(vaultName="one-too-many")
        # Re-creating an existing vault is still a no-op at the limit.
        client.create_vault(vaultName=names[0])

        page = client.list_vaults(limit="1000")
        assert [v["VaultName"] for v in page["VaultList"]] == names
        assert "Marker" not in page
    finally:
        server.close()
