"""Byte ranges: RetrievalByteRange on archive jobs, Range on GetJobOutput.

GetJobOutput sends x-amz-sha256-tree-hash only for tree-hash aligned ranges;
DescribeJob's SHA256TreeHash is likewise null for a retrieval range that is
not tree-hash aligned.
"""

import pytest

from conftest import MiB, client_error, random_bytes, tree_hash, upload, wait_for_job

# 2.5 MiB: leaves L0, L1, L2(half); tree = H(H(L0, L1), L2).
DATA = random_bytes(2 * MiB + MiB // 2, 200)
SIZE = len(DATA)


@pytest.fixture
def archive(client, vault):
    archive_id = upload(client, vault.name, DATA, "ranged")["archiveId"]
    return vault.name, archive_id


def retrieval_job(client, vault_name, archive_id, byte_range=None):
    params = {"Type": "archive-retrieval", "ArchiveId": archive_id}
    if byte_range is not None:
        params["RetrievalByteRange"] = byte_range
    job_id = client.initiate_job(vaultName=vault_name, jobParameters=params)["jobId"]
    return job_id, wait_for_job(client, vault_name, job_id)


@pytest.fixture
def full_job(client, archive):
    vault_name, archive_id = archive
    job_id, _ = retrieval_job(client, vault_name, archive_id)
    return vault_name, job_id


@pytest.mark.parametrize(
    "start,end",
    [
        (0, MiB - 1),
        (MiB, 2 * MiB - 1),
        (2 * MiB, SIZE - 1),
        (0, 2 * MiB - 1),
        (0, SIZE - 1),
    ],
    ids=["first-MiB", "second-MiB", "tail", "first-two-MiB", "everything"],
)
def test_tree_hash_aligned_range_has_checksum(client, full_job, start, end):
    vault_name, job_id = full_job

    out = client.get_job_output(vaultName=vault_name, jobId=job_id, range=f"bytes={start}-{end}")

    assert out["status"] == 206
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert out["contentRange"] == f"bytes {start}-{end}/{SIZE}"
    body = out["body"].read()
    assert body == DATA[start:end + 1]
    assert out["checksum"] == tree_hash(body)


@pytest.mark.parametrize(
    "start,end",
    [(0, 99), (100, MiB + 99), (MiB + 1, SIZE - 1)],
    ids=["first-100-bytes", "straddles-a-leaf", "unaligned-tail"],
)
def test_unaligned_range_has_no_checksum(client, full_job, start, end):
    vault_name, job_id = full_job

    out = client.get_job_output(vaultName=vault_name, jobId=job_id, range=f"bytes={start}-{end}")

    assert out["status"] == 206
    assert out["contentRange"] == f"bytes {start}-{end}/{SIZE}"
    assert out["body"].read() == DATA[start:end + 1]
    assert "checksum" not in out


def test_whole_output_without_range(client, full_job):
    vault_name, job_id = full_job

    out = client.get_job_output(vaultName=vault_name, jobId=job_id)

    assert out["status"] == 200
    assert "contentRange" not in out or out["contentRange"] == f"bytes 0-{SIZE - 1}/{SIZE}"
    assert out["checksum"] == tree_hash(DATA)
    assert out["body"].read() == DATA


def test_seed_style_first_megabyte_via_resource(glacier, full_job):
    vault_name, job_id = full_job
    job = glacier.Job("-", vault_name, job_id)

    out = job.get_output(range="bytes=0-1048575")

    assert out["status"] == 206
    assert out["contentRange"] == f"bytes 0-1048575/{SIZE}"
    assert out["acceptRanges"] == "bytes"
    assert out["checksum"] == tree_hash(DATA[:MiB])
    assert len(out["body"].read()) == MiB


def test_retrieval_range_tree_hash_aligned(client, archive):
    vault_name, archive_id = archive

    job_id, desc = retrieval_job(client, vault_name, archive_id, f"0-{2 * MiB - 1}")

    assert desc["RetrievalByteRange"] == f"0-{2 * MiB - 1}"
    assert desc["ArchiveSizeInBytes"] == SIZE
    assert desc["ArchiveSHA256TreeHash"] == tree_hash(DATA)
    assert desc["SHA256TreeHash"] == tree_hash(DATA[:2 * MiB])
    out = client.get_job_output(vaultName=vault_name, jobId=job_id)
    assert out["body"].read() == DATA[:2 * MiB]
    assert out["checksum"] == tree_hash(DATA[:2 * MiB])


def test_retrieval_range_to_end_of_archive(client, archive):
    vault_name, archive_id = archive

    job_id, desc = retrieval_job(client, vault_name, archive_id, f"{2 * MiB}-{SIZE - 1}")

    assert desc["RetrievalByteRange"] == f"{2 * MiB}-{SIZE - 1}"
    assert desc["SHA256TreeHash"] == tree_hash(DATA[2 * MiB:])
    out = client.get_job_output(vaultName=vault_name, jobId=job_id)
    assert out["body"].read() == DATA[2 * MiB:]


def test_retrieval_range_mib_aligned_but_not_tree_hash_aligned(client, archive):
    """L1..L2 is MiB-aligned (so allowed) but is not a node of the archive's tree."""
    vault_name, archive_id = archive

    job_id, desc = retrieval_job(client, vault_name, archive_id, f"{MiB}-{SIZE - 1}")

    assert desc["RetrievalByteRange"] == f"{MiB}-{SIZE - 1}"
    assert desc["ArchiveSHA256TreeHash"] == tree_hash(DATA)
    assert "SHA256TreeHash" not in desc
    out = client.get_job_output(vaultName=vault_name, jobId=job_id)
    assert out["body"].read() == DATA[MiB:]
    assert "checksum" not in out


@pytest.mark.parametrize(
    "byte_range",
    ["0-1000", "1-1048575", f"{MiB}-{2 * MiB}", f"0-{SIZE}", "5-3"],
    ids=["end-unaligned", "start-unaligned", "end-off-by-one", "past-end", "reversed"],
)
def test_misaligned_retrieval_range_is_rejected(client, archive, byte_range):
    vault_name, archive_id = archive

    with client_error("InvalidParameterValueException", 400):
        client.initiate_job(
            vaultName=vault_name,
            jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id, "RetrievalByteRange": byte_range},
        )
