"""Qualities of a real server, seen from boto3: concurrent clients see no
cross-talk, and a --data-dir endpoint keeps its vaults across a restart."""

import http.client
import io
import json
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from botocore.utils import calculate_tree_hash

from conftest import (
    LocalEndpoint,
    MiB,
    make_client,
    random_bytes,
    sha256_hex,
    signed_headers,
    tree_hash,
    unique_name,
    upload,
    wait_for_job,
)


def round_trip(url, vault_name, seed):
    client = make_client(url)
    data = random_bytes(64 * 1024 + seed, seed)
    archive_id = upload(client, vault_name, data, f"worker {seed}")["archiveId"]
    job_id = client.initiate_job(
        vaultName=vault_name, jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id}
    )["jobId"]
    wait_for_job(client, vault_name, job_id)
    out = client.get_job_output(vaultName=vault_name, jobId=job_id)
    return archive_id, out["archiveDescription"], out["body"].read() == data


def test_concurrent_clients_see_no_cross_talk(endpoint, client, vault):
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda seed: round_trip(endpoint, vault.name, seed), range(16)))

    assert all(ok for _, _, ok in results)
    assert [desc for _, desc, _ in results] == [f"worker {seed}" for seed in range(16)]
    assert len({archive_id for archive_id, _, _ in results}) == 16
    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 16


def test_state_survives_a_restart(tmp_path):
    data = random_bytes(MiB + 99, 600)
    name = unique_name("persist")
    first = LocalEndpoint("--data-dir", str(tmp_path / "data"), "--job-delay", "0", in_memory=False)
    try:
        client = make_client(first.url)
        client.create_vault(vaultName=name)
        archive_id = upload(client, name, data, "kept across restarts")["archiveId"]
        upload_id = client.initiate_multipart_upload(vaultName=name, partSize=str(MiB))["uploadId"]
    finally:
        first.close()

    second = LocalEndpoint("--data-dir", str(tmp_path / "data"), "--job-delay", "0", in_memory=False)
    try:
        client = make_client(second.url)
        described = client.describe_vault(vaultName=name)
        assert described["NumberOfArchives"] == 1
        assert described["SizeInBytes"] == len(data)
        uploads = client.list_multipart_uploads(vaultName=name)["UploadsList"]
        assert [u["MultipartUploadId"] for u in uploads] == [upload_id]
        job_id = client.initiate_job(
            vaultName=name, jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id}
        )["jobId"]
        wait_for_job(client, name, job_id)
        out = client.get_job_output(vaultName=name, jobId=job_id)
        assert out["body"].read() == data
        assert out["checksum"] == calculate_tree_hash(io.BytesIO(data))
        assert out["archiveDescription"] == "kept across restarts"
    finally:
        second.close()


def test_kill_during_upload_leaves_no_partial_archive(tmp_path):
    data_dir = str(tmp_path / "data")
    name = unique_name("crash")
    kept = random_bytes(5000, 601)
    body = random_bytes(4 * MiB, 602)
    server = LocalEndpoint("--data-dir", data_dir, "--job-delay", "0", in_memory=False)
    try:
        client = make_client(server.url)
        client.create_vault(vaultName=name)
        kept_id = upload(client, name, kept)["archiveId"]

        # Send the headers and half of the body of a 4 MiB upload, then crash.
        path = f"/-/vaults/{name}/archives"
        headers = signed_headers(server.url, "POST", path, {
            "x-amz-content-sha256": sha256_hex(body),
            "x-amz-sha256-tree-hash": tree_hash(body),
            "content-length": str(len(body)),
        }, body)
        parsed = urllib.parse.urlsplit(server.url)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        conn.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("host", parsed.netloc)
        for key, value in headers.items():
            conn.putheader(key, value)
        conn.endheaders()
        conn.send(body[: len(body) // 2])
        time.sleep(0.3)
        server.kill()
        conn.close()
    finally:
        server.close()

    restarted = LocalEndpoint("--data-dir", data_dir, "--job-delay", "0", in_memory=False)
    try:
        client = make_client(restarted.url)
        described = client.describe_vault(vaultName=name)
        assert described["NumberOfArchives"] == 1
        assert described["SizeInBytes"] == len(kept)
        job_id = client.initiate_job(vaultName=name, jobParameters={"Type": "inventory-retrieval"})["jobId"]
        wait_for_job(client, name, job_id)
        inventory = json.loads(client.get_job_output(vaultName=name, jobId=job_id)["body"].read())
        assert [a["ArchiveId"] for a in inventory["ArchiveList"]] == [kept_id]
    finally:
        restarted.close()
