"""Error cases, as Glacier reports them: status, code, message and body shape.

Glacier's error body is JSON {"code": ..., "message": ..., "type": "Client"}
and every response carries x-amzn-RequestId.
"""

import datetime
import hashlib
import re

import pytest
from botocore.exceptions import ClientError

from conftest import (
    client_error,
    is_location,
    make_client,
    random_bytes,
    tree_hash,
    unique_name,
    upload,
    wait_for_job,
)


def account_of(client, vault_name):
    arn = client.describe_vault(vaultName=vault_name)["VaultARN"]
    return arn.split(":")[4]


# ---------------------------------------------------------------- not found

def test_missing_vault(client, vault_name):
    with client_error("ResourceNotFoundException", 404) as err:
        client.describe_vault(vaultName=vault_name)

    assert re.match(
        r"^Vault not found for ARN: arn:aws:glacier:us-east-1:\d{12}:vaults/%s$" % re.escape(vault_name),
        err["message"],
    ), err["message"]
    assert err["response"]["ResponseMetadata"]["RequestId"]


@pytest.mark.parametrize(
    "call",
    [
        lambda c, v: c.delete_vault(vaultName=v),
        lambda c, v: c.upload_archive(vaultName=v, body=b"data"),
        lambda c, v: c.delete_archive(vaultName=v, archiveId="SOME-ARCHIVE-ID"),
        lambda c, v: c.list_jobs(vaultName=v),
        lambda c, v: c.initiate_job(vaultName=v, jobParameters={"Type": "inventory-retrieval"}),
        lambda c, v: c.initiate_multipart_upload(vaultName=v, partSize="1048576"),
        lambda c, v: c.list_multipart_uploads(vaultName=v),
        lambda c, v: c.describe_job(vaultName=v, jobId="SOME-JOB-ID"),
    ],
    ids=[
        "DeleteVault",
        "UploadArchive",
        "DeleteArchive",
        "ListJobs",
        "InitiateJob",
        "InitiateMultipartUpload",
        "ListMultipartUploads",
        "DescribeJob",
    ],
)
def test_operations_on_missing_vault(client, vault_name, call):
    with client_error("ResourceNotFoundException", 404) as err:
        call(client, vault_name)
    assert vault_name in err["message"]


def test_missing_job(client, vault):
    with client_error("ResourceNotFoundException", 404) as err:
        client.describe_job(vaultName=vault.name, jobId="NO-SUCH-JOB")
    assert "NO-SUCH-JOB" in err["message"]
    with client_error("ResourceNotFoundException", 404):
        client.get_job_output(vaultName=vault.name, jobId="NO-SUCH-JOB")


def test_job_of_another_vault_is_not_found(client, vault):
    other = unique_name("err-other")
    client.create_vault(vaultName=other)
    upload(client, other, b"x")
    job_id = client.initiate_job(vaultName=other, jobParameters={"Type": "inventory-retrieval"})["jobId"]

    with client_error("ResourceNotFoundException", 404):
        client.describe_job(vaultName=vault.name, jobId=job_id)


def test_missing_upload(client, vault):
    with client_error("ResourceNotFoundException", 404):
        client.list_parts(vaultName=vault.name, uploadId="NO-SUCH-UPLOAD")
    with client_error("ResourceNotFoundException", 404):
        client.abort_multipart_upload(vaultName=vault.name, uploadId="NO-SUCH-UPLOAD")


# ---------------------------------------------------------------- body shape

def test_error_body_shape_and_request_id(raw, vault_name):
    response = raw("GET", f"/-/vaults/{vault_name}")

    assert response.status == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers.get("x-amzn-requestid")
    body = response.json()
    assert set(body) == {"code", "message", "type"}
    assert body["code"] == "ResourceNotFoundException"
    assert body["type"] == "Client"
    assert vault_name in body["message"]


def test_error_fields_through_botocore(client, vault_name):
    with pytest.raises(ClientError) as info:
        client.describe_vault(vaultName=vault_name)

    response = info.value.response
    assert response["Error"]["Code"] == "ResourceNotFoundException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["ResponseMetadata"]["RequestId"]
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == response["ResponseMetadata"]["RequestId"]
    assert isinstance(info.value, client.exceptions.ResourceNotFoundException)


def test_request_ids_on_success_are_unique(client, vault):
    first = client.describe_vault(vaultName=vault.name)["ResponseMetadata"]
    second = client.describe_vault(vaultName=vault.name)["ResponseMetadata"]

    assert first["RequestId"] and second["RequestId"]
    assert first["RequestId"] != second["RequestId"]
    assert first["HTTPHeaders"]["x-amzn-requestid"] == first["RequestId"]


def test_request_id_on_every_status(raw, client, vault):
    archive_id = upload(client, vault.name, b"abc")["archiveId"]
    responses = [
        (200, raw("GET", f"/-/vaults/{vault.name}")),
        (202, raw("POST", f"/-/vaults/{vault.name}/jobs", body=b'{"Type":"inventory-retrieval"}',
                  headers={"content-type": "application/json"})),
        (204, raw("DELETE", f"/-/vaults/{vault.name}/archives/{archive_id}")),
        (201, raw("PUT", f"/-/vaults/{unique_name()}")),
        (404, raw("GET", "/-/vaults/no-such-vault-anywhere")),
        (400, raw("POST", f"/-/vaults/{vault.name}/multipart-uploads", headers={"x-amz-part-size": "3"})),
    ]
    for status, response in responses:
        assert response.status == status, (status, response.body)
        assert response.headers.get("x-amzn-requestid"), status


# ---------------------------------------------------------------- checksums

def test_upload_with_wrong_tree_hash(client, vault):
    with client_error("InvalidParameterValueException", 400):
        client.upload_archive(vaultName=vault.name, body=b"some data", checksum=tree_hash(b"other data"))

    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 0


def test_upload_without_tree_hash_header(raw, vault):
    body = b"no tree hash"
    response = raw(
        "POST",
        f"/-/vaults/{vault.name}/archives",
        body=body,
        headers={"x-amz-content-sha256": hashlib.sha256(body).hexdigest()},
    )

    assert response.status == 400
    assert response.json()["code"] == "MissingParameterValueException"


def test_upload_with_wrong_content_sha256(raw, vault):
    body = random_bytes(2 * 1024 * 1024, 300)
    response = raw(
        "POST",
        f"/-/vaults/{vault.name}/archives",
        body=body,
        headers={
            "x-amz-content-sha256": hashlib.sha256(body[:-1]).hexdigest(),
            "x-amz-sha256-tree-hash": tree_hash(body),
        },
    )

    assert response.status == 400
    assert response.json()["code"] == "InvalidParameterValueException"
    vault.reload()
    assert vault.number_of_archives == 0


def test_upload_raw_success_headers(raw, vault):
    body = random_bytes(1500, 301)
    response = raw(
        "POST",
        f"/-/vaults/{vault.name}/archives",
        body=body,
        headers={
            "x-amz-content-sha256": hashlib.sha256(body).hexdigest(),
            "x-amz-sha256-tree-hash": tree_hash(body),
            "x-amz-archive-description": "raw",
        },
    )

    assert response.status == 201
    archive_id = response.headers["x-amz-archive-id"]
    assert response.headers["x-amz-sha256-tree-hash"] == tree_hash(body)
    assert is_location(response.headers["location"], vault.name, "archives", archive_id)


def test_missing_glacier_version_header(raw, vault):
    response = raw("GET", f"/-/vaults/{vault.name}", headers={"x-amz-glacier-version": None})

    assert response.status == 400
    assert response.json()["code"] == "MissingParameterValueException"
    assert "x-amz-glacier-version" in response.json()["message"]


# ---------------------------------------------------------------- parameters

@pytest.mark.parametrize(
    "name",
    ["x" * 256, "bad@name", "bad name", "bad*name", "caf\u00e9"],
    ids=["256-chars", "at-sign", "space", "asterisk", "non-ascii"],
)
def test_invalid_vault_name(client, name):
    with client_error("InvalidParameterValueException", 400):
        client.create_vault(vaultName=name)


def test_longest_vault_name_and_all_allowed_characters(client):
    name = ("aZ09_-." + unique_name("x"))
    long_name = (name * 20)[:255]

    client.create_vault(vaultName=name)
    client.create_vault(vaultName=long_name)

    assert client.describe_vault(vaultName=name)["VaultName"] == name
    assert client.describe_vault(vaultName=long_name)["VaultName"] == long_name


@pytest.mark.parametrize(
    "description",
    ["d" * 1025, "bell\x07", "tab\tinside", "caf\u00e9", "del\x7f"],
    ids=["1025-chars", "control", "tab", "non-ascii", "DEL"],
)
def test_invalid_archive_description(client, vault, description):
    with client_error("InvalidParameterValueException", 400):
        client.upload_archive(vaultName=vault.name, body=b"data", archiveDescription=description)
    with client_error("InvalidParameterValueException", 400):
        client.initiate_multipart_upload(vaultName=vault.name, partSize="1048576", archiveDescription=description)

    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 0


def test_longest_printable_description(client, vault):
    printable = "".join(chr(c) for c in range(0x20, 0x7F))
    description = "[" + (printable * 11)[1:1023] + "]"
    assert len(description) == 1024

    archive_id = upload(client, vault.name, b"data", description)["archiveId"]

    job_id = client.initiate_job(
        vaultName=vault.name, jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id}
    )["jobId"]
    wait_for_job(client, vault.name, job_id)
    assert client.get_job_output(vaultName=vault.name, jobId=job_id)["archiveDescription"] == description


@pytest.mark.parametrize(
    "params",
    [
        {"Type": "bogus-retrieval"},
        {"Type": "inventory-retrieval", "Format": "XML"},
        {"Type": "archive-retrieval", "ArchiveId": "{archive}", "Tier": "Instant"},
        {"Type": "inventory-retrieval", "InventoryRetrievalParameters": {"Limit": "0"}},
        {"Type": "inventory-retrieval", "InventoryRetrievalParameters": {"StartDate": "yesterday"}},
        {"Type": "inventory-retrieval", "InventoryRetrievalParameters": {
            "StartDate": "2020-01-01T00:00:00Z", "EndDate": "2019-01-01T00:00:00Z"}},
        {"Type": "inventory-retrieval", "RetrievalByteRange": "0-1048575"},
    ],
    ids=["type", "format", "tier", "inventory-limit", "inventory-start-date", "start-after-end",
         "range-on-inventory"],
)
def test_invalid_job_parameters(client, vault, params):
    archive_id = upload(client, vault.name, b"data")["archiveId"]
    params = {k: (archive_id if v == "{archive}" else v) for k, v in params.items()}

    with client_error("InvalidParameterValueException", 400):
        client.initiate_job(vaultName=vault.name, jobParameters=params)


def test_account_id_forms(client, vault):
    account = account_of(client, vault.name)

    assert re.match(r"^\d{12}$", account)
    assert client.describe_vault(accountId=account, vaultName=vault.name)["VaultName"] == vault.name
    assert client.describe_vault(accountId="-", vaultName=vault.name)["VaultName"] == vault.name


# ---------------------------------------------------------------- job output not ready

def test_output_of_pending_archive_job(delayed_client):
    name = unique_name("err-pending")
    delayed_client.create_vault(vaultName=name)
    archive_id = upload(delayed_client, name, b"later")["archiveId"]
    job_id = delayed_client.initiate_job(
        vaultName=name, jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id, "Tier": "Expedited"}
    )["jobId"]

    described = delayed_client.describe_job(vaultName=name, jobId=job_id)
    assert described["StatusCode"] == "InProgress"
    assert described["Tier"] == "Expedited"
    with client_error("InvalidParameterValueException", 400) as err:
        delayed_client.get_job_output(vaultName=name, jobId=job_id)
    assert err["message"] == f"The job is not currently available for download: {job_id}"
    with client_error("InvalidParameterValueException", 400):
        delayed_client.get_job_output(vaultName=name, jobId=job_id, range="bytes=0-1")


# ---------------------------------------------------------------- authentication

def test_unknown_access_key(endpoint):
    client = make_client(endpoint, access_key="AKIDNOTKNOWN", secret_key="test")

    with client_error("UnrecognizedClientException", 403):
        client.list_vaults()


def test_wrong_secret_key(endpoint):
    client = make_client(endpoint, access_key="test", secret_key="not-the-secret")

    with client_error("InvalidSignatureException", 403):
        client.list_vaults()


def test_wrong_credentials_never_reach_the_vault(endpoint, client, vault):
    intruder = make_client(endpoint, access_key="test", secret_key="not-the-secret")

    with client_error("InvalidSignatureException", 403):
        intruder.delete_vault(vaultName=vault.name)

    assert client.describe_vault(vaultName=vault.name)["VaultName"] == vault.name


def test_signature_scoped_to_another_service(raw, vault):
    response = raw("GET", f"/-/vaults/{vault.name}", service="s3")

    assert response.status == 403
    assert response.json()["code"] == "InvalidSignatureException"


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def test_slightly_old_signature_is_accepted(raw, vault):
    response = raw("GET", f"/-/vaults/{vault.name}", signed_at=utc_now() - datetime.timedelta(minutes=2))

    assert response.status == 200


def test_stale_signature(raw, vault):
    """AWS refuses a request signed outside its clock-skew window (15 minutes)."""
    response = raw("GET", f"/-/vaults/{vault.name}", signed_at=utc_now() - datetime.timedelta(hours=1))

    assert response.status == 403
    assert response.json()["code"] == "InvalidSignatureException"
    assert "expired" in response.json()["message"].lower()


def test_unsigned_request(raw, vault):
    response = raw("GET", f"/-/vaults/{vault.name}", sign=False)

    assert response.status == 403
    body = response.json()
    assert body["code"] == "MissingAuthenticationTokenException"
    assert body["message"]
    assert response.headers.get("x-amzn-requestid")
