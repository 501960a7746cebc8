"""The same workflow through the `aws glacier` command line.

Each `aws` run costs about a second of start-up, so set-up and cross-checks go
through boto3 and only the commands under test run through the CLI.
"""

import json
import os
import subprocess
import time

import pytest

from conftest import (
    ISO_DATE,
    MiB,
    client_error,
    is_location,
    random_bytes,
    tree_hash,
    unique_name,
    upload,
    vault_arn_pattern,
)


@pytest.fixture
def aws(endpoint, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
        AWS_RETRY_MODE="standard",
        AWS_PAGER="",
    )

    def run(*args, check=True, endpoint_flag=True, extra_env=None):
        cmd = ["aws", "glacier", *args, "--account-id", "-", "--output", "json"]
        if endpoint_flag:
            cmd += ["--endpoint-url", endpoint]
        proc = subprocess.run(
            cmd,
            env={**env, **(extra_env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check:
            assert proc.returncode == 0, (cmd, proc.stderr)
        out = proc.stdout.strip()
        return proc.returncode, (json.loads(out) if out else None), proc.stderr

    return run


def test_cli_vault_lifecycle(aws, client, endpoint):
    name = unique_name("cli")

    _, created, _ = aws("create-vault", "--vault-name", name)
    assert is_location(created["location"], name)

    _, described, _ = aws("describe-vault", "--vault-name", name)
    assert described["VaultName"] == name
    assert vault_arn_pattern(name).match(described["VaultARN"])
    assert ISO_DATE.match(described["CreationDate"])
    assert described["NumberOfArchives"] == 0
    assert described["SizeInBytes"] == 0

    aws("wait", "vault-exists", "--vault-name", name)
    _, deleted, _ = aws("delete-vault", "--vault-name", name)
    assert deleted is None
    # The endpoint may also come from AWS_ENDPOINT_URL_GLACIER.
    aws("wait", "vault-not-exists", "--vault-name", name,
        endpoint_flag=False, extra_env={"AWS_ENDPOINT_URL_GLACIER": endpoint})

    rc, _, err = aws("describe-vault", "--vault-name", name, check=False)
    assert rc != 0
    assert "ResourceNotFoundException" in err


def test_cli_list_vaults_follows_markers(aws, client):
    prefix = unique_name("clipage")
    names = [f"{prefix}-{i:02d}" for i in range(12)]
    for name in names:
        client.create_vault(vaultName=name)

    # The CLI pages ListVaults itself, following each Marker.
    _, listed, _ = aws("list-vaults", "--page-size", "5")

    all_names = [v["VaultName"] for v in listed["VaultList"]]
    assert [n for n in all_names if n.startswith(prefix)] == names
    assert all_names == sorted(all_names)
    assert len(all_names) == len(set(all_names))


def test_cli_archive_workflow(aws, client, tmp_path):
    name = unique_name("cli-arch")
    client.create_vault(vaultName=name)
    data = random_bytes(MiB + 12345, 400)
    src = tmp_path / "backup.tar"
    src.write_bytes(data)

    _, uploaded, _ = aws(
        "upload-archive", "--vault-name", name, "--archive-description", "nightly backup", "--body", str(src)
    )
    archive_id = uploaded["archiveId"]
    assert uploaded["checksum"] == tree_hash(data)
    assert is_location(uploaded["location"], name, "archives", archive_id)
    described = client.describe_vault(vaultName=name)
    assert described["NumberOfArchives"] == 1
    assert described["SizeInBytes"] == len(data)

    rc, _, err = aws("delete-vault", "--vault-name", name, check=False)
    assert rc != 0
    assert "InvalidParameterValueException" in err
    assert "Vault not empty or recently written to" in err

    params = json.dumps({"Type": "archive-retrieval", "ArchiveId": archive_id, "Description": "restore"})
    _, job, _ = aws("initiate-job", "--vault-name", name, "--job-parameters", params)
    job_id = job["jobId"]
    assert is_location(job["location"], name, "jobs", job_id)

    desc = _wait_cli_job(aws, client, name, job_id)
    assert desc["Action"] == "ArchiveRetrieval"
    assert desc["ArchiveId"] == archive_id
    assert desc["JobDescription"] == "restore"
    assert desc["ArchiveSizeInBytes"] == len(data)
    assert desc["ArchiveSHA256TreeHash"] == tree_hash(data)
    assert desc["RetrievalByteRange"] == f"0-{len(data) - 1}"
    assert desc["StatusCode"] == "Succeeded"

    _, done, _ = aws("list-jobs", "--vault-name", name, "--completed", "true", "--statuscode", "Succeeded")
    assert [j["JobId"] for j in done["JobList"]] == [job_id]

    out = tmp_path / "restored.tar"
    _, meta, _ = aws("get-job-output", "--vault-name", name, f"--job-id={job_id}", str(out))
    assert out.read_bytes() == data
    assert meta["status"] == 200
    assert meta["checksum"] == tree_hash(data)
    assert meta["contentType"] == "application/octet-stream"
    assert meta["archiveDescription"] == "nightly backup"

    part = tmp_path / "first-mib"
    _, meta, _ = aws("get-job-output", "--vault-name", name, f"--job-id={job_id}", "--range", "bytes=0-1048575", str(part))
    assert part.read_bytes() == data[:MiB]
    assert meta["status"] == 206
    assert meta["contentRange"] == f"bytes 0-1048575/{len(data)}"
    assert meta["checksum"] == tree_hash(data[:MiB])

    _, deleted, _ = aws("delete-archive", "--vault-name", name, f"--archive-id={archive_id}")
    assert deleted is None
    assert client.describe_vault(vaultName=name)["NumberOfArchives"] == 0


def test_cli_inventory(aws, client, tmp_path):
    name = unique_name("cli-inv")
    client.create_vault(vaultName=name)
    archive_id = upload(client, name, b"inventory entry")["archiveId"]

    _, job, _ = aws("initiate-job", "--vault-name", name, "--job-parameters", '{"Type": "inventory-retrieval"}')
    desc = _wait_cli_job(aws, client, name, job["jobId"])
    assert desc["Action"] == "InventoryRetrieval"
    assert desc["InventoryRetrievalParameters"]["Format"] == "JSON"

    out = tmp_path / "inventory.json"
    _, meta, _ = aws("get-job-output", "--vault-name", name, f"--job-id={job['jobId']}", str(out))
    assert meta["contentType"] == "application/json"
    inventory = json.loads(out.read_text())
    assert [a["ArchiveId"] for a in inventory["ArchiveList"]] == [archive_id]
    assert inventory["ArchiveList"][0]["Size"] == len(b"inventory entry")
    assert desc["InventorySizeInBytes"] == out.stat().st_size


def test_cli_multipart(aws, client, tmp_path):
    name = unique_name("cli-mpu")
    client.create_vault(vaultName=name)
    data = random_bytes(MiB // 2, 401)
    path = tmp_path / "part-0"
    path.write_bytes(data)

    _, init, _ = aws("initiate-multipart-upload", "--vault-name", name, "--part-size", str(MiB))
    upload_id = init["uploadId"]
    _, part, _ = aws(
        "upload-multipart-part", "--vault-name", name, f"--upload-id={upload_id}",
        "--range", f"bytes 0-{len(data) - 1}/*", "--body", str(path),
    )
    assert part["checksum"] == tree_hash(data)
    _, done, _ = aws(
        "complete-multipart-upload", "--vault-name", name, f"--upload-id={upload_id}",
        "--archive-size", str(len(data)), "--checksum", tree_hash(data),
    )

    assert done["checksum"] == tree_hash(data)
    assert client.list_multipart_uploads(vaultName=name)["UploadsList"] == []
    with client_error("ResourceNotFoundException", 404):
        client.list_parts(vaultName=name, uploadId=upload_id)


def _wait_cli_job(aws, client, name, job_id):
    """Wait with boto3, then describe the finished job once with the CLI."""
    deadline = time.monotonic() + 20
    while not client.describe_job(vaultName=name, jobId=job_id)["Completed"]:
        assert time.monotonic() < deadline, job_id
        time.sleep(0.05)
    _, desc, _ = aws("describe-job", "--vault-name", name, f"--job-id={job_id}")
    return desc
