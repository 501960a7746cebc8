"""The same workflow through the `aws glacier` command line."""

import json
import os
import subprocess
import time

import pytest

from conftest import (
    ISO_DATE,
    MiB,
    random_bytes,
    tree_hash,
    unique_name,
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


def test_cli_vault_lifecycle(aws):
    name = unique_name("cli")

    _, created, _ = aws("create-vault", "--vault-name", name)
    assert created["location"].endswith(f"/vaults/{name}")

    _, described, _ = aws("describe-vault", "--vault-name", name)
    assert described["VaultName"] == name
    assert vault_arn_pattern(name).match(described["VaultARN"])
    assert ISO_DATE.match(described["CreationDate"])
    assert described["NumberOfArchives"] == 0
    assert described["SizeInBytes"] == 0

    _, listed, _ = aws("list-vaults")
    assert name in [v["VaultName"] for v in listed["VaultList"]]

    aws("wait", "vault-exists", "--vault-name", name)
    _, deleted, _ = aws("delete-vault", "--vault-name", name)
    assert deleted is None
    aws("wait", "vault-not-exists", "--vault-name", name)

    rc, _, err = aws("describe-vault", "--vault-name", name, check=False)
    assert rc != 0
    assert "ResourceNotFoundException" in err


def test_cli_list_vaults_follows_markers(aws, client):
    prefix = unique_name("clipage")
    names = [f"{prefix}-{i:02d}" for i in range(12)]
    for name in names:
        client.create_vault(vaultName=name)

    # The CLI pages ListVaults itself (default page size 10, then the Marker).
    _, listed, _ = aws("list-vaults")
    all_names = [v["VaultName"] for v in listed["VaultList"]]
    assert [n for n in all_names if n.startswith(prefix)] == names
    assert all_names == sorted(all_names)

    _, capped, _ = aws("list-vaults", "--max-items", "3")
    assert len(capped["VaultList"]) == 3
    assert capped["NextToken"]


def test_cli_endpoint_from_environment(aws, endpoint):
    name = unique_name("clienv")
    aws("create-vault", "--vault-name", name)

    _, listed, _ = aws("list-vaults", endpoint_flag=False, extra_env={"AWS_ENDPOINT_URL_GLACIER": endpoint})

    assert name in [v["VaultName"] for v in listed["VaultList"]]


def test_cli_archive_workflow(aws, tmp_path):
    name = unique_name("cli-arch")
    aws("create-vault", "--vault-name", name)
    data = random_bytes(MiB + 12345, 400)
    src = tmp_path / "backup.tar"
    src.write_bytes(data)

    _, uploaded, _ = aws(
        "upload-archive", "--vault-name", name, "--archive-description", "nightly backup", "--body", str(src)
    )
    archive_id = uploaded["archiveId"]
    assert uploaded["checksum"] == tree_hash(data)
    assert uploaded["location"].endswith(f"/vaults/{name}/archives/{archive_id}")

    _, described, _ = aws("describe-vault", "--vault-name", name)
    assert described["NumberOfArchives"] == 1
    assert described["SizeInBytes"] == len(data)

    rc, _, err = aws("delete-vault", "--vault-name", name, check=False)
    assert rc != 0
    assert "InvalidParameterValueException" in err
    assert "Vault not empty or recently written to" in err

    params = json.dumps({"Type": "archive-retrieval", "ArchiveId": archive_id, "Description": "restore"})
    _, job, _ = aws("initiate-job", "--vault-name", name, "--job-parameters", params)
    job_id = job["jobId"]
    assert job["location"].endswith(f"/vaults/{name}/jobs/{job_id}")

    desc = _wait_cli_job(aws, name, job_id)
    assert desc["Action"] == "ArchiveRetrieval"
    assert desc["ArchiveId"] == archive_id
    assert desc["JobDescription"] == "restore"
    assert desc["ArchiveSizeInBytes"] == len(data)
    assert desc["ArchiveSHA256TreeHash"] == tree_hash(data)
    assert desc["RetrievalByteRange"] == f"0-{len(data) - 1}"
    assert desc["StatusCode"] == "Succeeded"

    _, jobs, _ = aws("list-jobs", "--vault-name", name)
    assert [j["JobId"] for j in jobs["JobList"]] == [job_id]
    _, done, _ = aws("list-jobs", "--vault-name", name, "--completed", "true", "--statuscode", "Succeeded")
    assert [j["JobId"] for j in done["JobList"]] == [job_id]
    _, pending, _ = aws("list-jobs", "--vault-name", name, "--statuscode", "InProgress")
    assert pending["JobList"] == []

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
    _, described, _ = aws("describe-vault", "--vault-name", name)
    assert described["NumberOfArchives"] == 0
    aws("delete-vault", "--vault-name", name)
    aws("wait", "vault-not-exists", "--vault-name", name)


def test_cli_inventory(aws, tmp_path):
    name = unique_name("cli-inv")
    aws("create-vault", "--vault-name", name)
    src = tmp_path / "a.bin"
    src.write_bytes(b"inventory entry")
    _, uploaded, _ = aws("upload-archive", "--vault-name", name, "--body", str(src))

    _, job, _ = aws("initiate-job", "--vault-name", name, "--job-parameters", '{"Type": "inventory-retrieval"}')
    desc = _wait_cli_job(aws, name, job["jobId"])
    assert desc["Action"] == "InventoryRetrieval"
    assert desc["InventoryRetrievalParameters"]["Format"] == "JSON"

    out = tmp_path / "inventory.json"
    _, meta, _ = aws("get-job-output", "--vault-name", name, f"--job-id={job['jobId']}", str(out))
    assert meta["contentType"] == "application/json"
    inventory = json.loads(out.read_text())
    assert [a["ArchiveId"] for a in inventory["ArchiveList"]] == [uploaded["archiveId"]]
    assert inventory["ArchiveList"][0]["Size"] == len(b"inventory entry")
    assert desc["InventorySizeInBytes"] == out.stat().st_size


def test_cli_multipart(aws, tmp_path):
    name = unique_name("cli-mpu")
    aws("create-vault", "--vault-name", name)
    data = random_bytes(MiB + MiB // 4, 401)

    _, init, _ = aws("initiate-multipart-upload", "--vault-name", name, "--part-size", str(MiB))
    upload_id = init["uploadId"]
    for start in range(0, len(data), MiB):
        chunk = data[start:start + MiB]
        path = tmp_path / f"part-{start}"
        path.write_bytes(chunk)
        _, part, _ = aws(
            "upload-multipart-part", "--vault-name", name, f"--upload-id={upload_id}",
            "--range", f"bytes {start}-{start + len(chunk) - 1}/*", "--body", str(path),
        )
        assert part["checksum"] == tree_hash(chunk)

    _, parts, _ = aws("list-parts", "--vault-name", name, f"--upload-id={upload_id}")
    assert [p["RangeInBytes"] for p in parts["Parts"]] == ["0-1048575", f"1048576-{len(data) - 1}"]

    _, done, _ = aws(
        "complete-multipart-upload", "--vault-name", name, f"--upload-id={upload_id}",
        "--archive-size", str(len(data)), "--checksum", tree_hash(data),
    )
    assert done["checksum"] == tree_hash(data)
    _, uploads, _ = aws("list-multipart-uploads", "--vault-name", name)
    assert uploads["UploadsList"] == []


def _wait_cli_job(aws, name, job_id):
    deadline = time.monotonic() + 20
    while True:
        _, desc, _ = aws("describe-job", "--vault-name", name, f"--job-id={job_id}")
        if desc["Completed"]:
            return desc
        assert time.monotonic() < deadline, desc
        time.sleep(0.1)
