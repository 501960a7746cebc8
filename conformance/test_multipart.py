"""Multipart uploads through the boto3 MultipartUpload resource and client.

The whole-archive checksum comes from botocore.utils.calculate_tree_hash, as
botocore's CompleteMultipartUpload documentation recommends.
"""

import io

import pytest
from botocore.exceptions import ClientError
from botocore.utils import calculate_tree_hash

from conftest import (
    HEX64,
    ISO_DATE,
    MiB,
    client_error,
    is_location,
    random_bytes,
    tree_hash,
    two_pages,
    vault_arn_pattern,
    wait_for_job,
)

PART = MiB
DATA = random_bytes(2 * MiB + MiB // 2, 100)  # three parts: 1 MiB, 1 MiB, 0.5 MiB


def parts_of(data, size=PART):
    for start in range(0, len(data), size):
        chunk = data[start:start + size]
        yield f"bytes {start}-{start + len(chunk) - 1}/*", chunk


def checksum(data):
    return calculate_tree_hash(io.BytesIO(data))


def retrieve(client, vault_name, archive_id):
    job_id = client.initiate_job(
        vaultName=vault_name,
        jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id},
    )["jobId"]
    wait_for_job(client, vault_name, job_id)
    return client.get_job_output(vaultName=vault_name, jobId=job_id)


def test_initiate_multipart_upload(client, vault):
    mpu = vault.initiate_multipart_upload(archiveDescription="mp desc", partSize=str(PART))

    assert repr(mpu) == (
        f"glacier.MultipartUpload(account_id='-', vault_name='{vault.name}', id='{mpu.id}')"
    )
    raw = client.initiate_multipart_upload(vaultName=vault.name, partSize=str(PART))
    assert raw["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert is_location(raw["location"], vault.name, "multipart-uploads", raw["uploadId"])
    assert raw["uploadId"] != mpu.id


def test_multipart_upload_complete_and_retrieve(client, vault):
    mpu = vault.initiate_multipart_upload(archiveDescription="mp desc", partSize=str(PART))
    # Parts may arrive in any order.
    for rng, chunk in reversed(list(parts_of(DATA))):
        response = mpu.upload_part(range=rng, body=chunk)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
        assert response["checksum"] == tree_hash(chunk)

    listed = mpu.parts()

    assert listed["MultipartUploadId"] == mpu.id
    assert listed["PartSizeInBytes"] == PART
    assert listed["ArchiveDescription"] == "mp desc"
    assert vault_arn_pattern(vault.name).match(listed["VaultARN"])
    assert ISO_DATE.match(listed["CreationDate"])
    assert [p["RangeInBytes"] for p in listed["Parts"]] == [
        "0-1048575",
        "1048576-2097151",
        "2097152-2621439",
    ]
    assert [p["SHA256TreeHash"] for p in listed["Parts"]] == [
        tree_hash(chunk) for _, chunk in parts_of(DATA)
    ]
    assert "Marker" not in listed

    done = mpu.complete(archiveSize=str(len(DATA)), checksum=checksum(DATA))

    assert isinstance(done, dict)  # a raw dict, not an Archive resource
    assert done["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert done["checksum"] == tree_hash(DATA)
    assert is_location(done["location"], vault.name, "archives", done["archiveId"])
    assert mpu.id not in [u.id for u in vault.multipart_uploads.all()]
    vault.reload()
    assert vault.number_of_archives == 1
    assert vault.size_in_bytes == len(DATA)

    output = retrieve(client, vault.name, done["archiveId"])
    assert output["archiveDescription"] == "mp desc"
    assert output["checksum"] == checksum(DATA)
    assert output["body"].read() == DATA


def test_complete_is_idempotent(client, vault):
    mpu = vault.initiate_multipart_upload(partSize=str(PART))
    data = DATA[:MiB + 10]
    for rng, chunk in parts_of(data):
        mpu.upload_part(range=rng, body=chunk)

    first = mpu.complete(archiveSize=str(len(data)), checksum=checksum(data))
    second = mpu.complete(archiveSize=str(len(data)), checksum=checksum(data))

    assert second["archiveId"] == first["archiveId"]
    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 1
    # Once complete, the upload is gone from ListParts and ListMultipartUploads.
    with client_error("ResourceNotFoundException", 404):
        mpu.parts()
    assert client.list_multipart_uploads(vaultName=vault.name)["UploadsList"] == []


def test_resending_a_part_replaces_it(vault, client):
    mpu = vault.initiate_multipart_upload(partSize=str(PART))
    old = random_bytes(PART, 101)
    new = random_bytes(PART, 102)
    tail = b"tail bytes"
    mpu.upload_part(range=f"bytes 0-{PART - 1}/*", body=old)
    mpu.upload_part(range=f"bytes {PART}-{PART + len(tail) - 1}/*", body=tail)
    mpu.upload_part(range=f"bytes 0-{PART - 1}/*", body=new)

    parts = mpu.parts()["Parts"]
    assert [p["SHA256TreeHash"] for p in parts] == [tree_hash(new), tree_hash(tail)]

    done = mpu.complete(archiveSize=str(PART + len(tail)), checksum=checksum(new + tail))
    assert done["checksum"] == tree_hash(new + tail)
    assert retrieve(client, vault.name, done["archiveId"])["body"].read() == new + tail


def test_whole_checksum_from_part_hashes(vault):
    """With a power-of-two MiB part size, the part hashes combine into the archive hash."""
    data = random_bytes(4 * MiB + 5, 103)
    mpu = vault.initiate_multipart_upload(partSize=str(2 * MiB))
    for rng, chunk in parts_of(data, 2 * MiB):
        mpu.upload_part(range=rng, body=chunk)

    parts = mpu.parts()
    assert parts["PartSizeInBytes"] == 2 * MiB
    assert [p["SHA256TreeHash"] for p in parts["Parts"]] == [
        tree_hash(chunk) for _, chunk in parts_of(data, 2 * MiB)
    ]
    done = mpu.complete(archiveSize=str(len(data)), checksum=checksum(data))
    assert done["checksum"] == tree_hash(data)


def test_wrong_checksum_is_rejected(client, vault):
    mpu = vault.initiate_multipart_upload(partSize=str(PART))
    for rng, chunk in parts_of(DATA):
        mpu.upload_part(range=rng, body=chunk)

    wrong = checksum(DATA[:-1] + b"\x00")
    with client_error("InvalidParameterValueException", 400):
        mpu.complete(archiveSize=str(len(DATA)), checksum=wrong)

    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 0


def test_wrong_archive_size_is_rejected(client, vault):
    mpu = vault.initiate_multipart_upload(partSize=str(PART))
    for rng, chunk in parts_of(DATA):
        mpu.upload_part(range=rng, body=chunk)

    with client_error("InvalidParameterValueException", 400):
        mpu.complete(archiveSize=str(len(DATA) + 1), checksum=checksum(DATA))

    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 0


def test_missing_part_is_rejected(client, vault):
    mpu = vault.initiate_multipart_upload(partSize=str(PART))
    for index, (rng, chunk) in enumerate(parts_of(DATA)):
        if index != 1:
            mpu.upload_part(range=rng, body=chunk)

    with client_error("InvalidParameterValueException", 400):
        mpu.complete(archiveSize=str(len(DATA)), checksum=checksum(DATA))

    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 0


def test_part_with_wrong_checksum_is_rejected(vault):
    mpu = vault.initiate_multipart_upload(partSize=str(PART))
    chunk = DATA[:PART]

    with client_error("InvalidParameterValueException", 400):
        mpu.upload_part(range=f"bytes 0-{PART - 1}/*", body=chunk, checksum=tree_hash(b"other"))

    assert mpu.parts()["Parts"] == []


@pytest.mark.parametrize(
    "start,length",
    [
        (1000, PART),  # does not start on a part boundary
        (PART // 2, 1000),  # same, for a short (last) part
        (0, 2 * PART),  # longer than the part size
    ],
    ids=["unaligned-start", "unaligned-short", "oversized"],
)
def test_misaligned_range_is_rejected(vault, start, length):
    mpu = vault.initiate_multipart_upload(partSize=str(PART))
    body = random_bytes(length, 104)

    with client_error("InvalidParameterValueException", 400):
        mpu.upload_part(range=f"bytes {start}-{start + length - 1}/*", body=body)

    assert mpu.parts()["Parts"] == []


def test_range_and_body_length_must_agree(vault):
    mpu = vault.initiate_multipart_upload(partSize=str(PART))

    with client_error("InvalidParameterValueException", 400):
        mpu.upload_part(range=f"bytes 0-{PART - 1}/*", body=b"x" * 1000)

    assert mpu.parts()["Parts"] == []


def test_short_part_that_is_not_last_is_rejected_at_complete(client, vault):
    """A short part is only valid as the last one; a later part makes it invalid."""
    mpu = vault.initiate_multipart_upload(partSize=str(PART))
    first, second = b"a" * 1000, b"b" * 1000
    mpu.upload_part(range="bytes 0-999/*", body=first)
    try:
        mpu.upload_part(range=f"bytes {PART}-{PART + 999}/*", body=second)
    except ClientError as err:  # refusing the second part at once is as good
        assert err.response["Error"]["Code"] == "InvalidParameterValueException"
        return

    with client_error("InvalidParameterValueException", 400):
        mpu.complete(archiveSize=str(len(first + second)), checksum=checksum(first + second))

    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 0


@pytest.mark.parametrize(
    "part_size",
    ["0", "1000", "524288", str(3 * MiB), str(8 * 1024 * MiB)],
    ids=["zero", "1000", "half-MiB", "3MiB", "8GiB"],
)
def test_bad_part_size_is_rejected(vault, part_size):
    with client_error("InvalidParameterValueException", 400):
        vault.initiate_multipart_upload(partSize=part_size)


def test_largest_part_size_is_accepted(vault):
    mpu = vault.initiate_multipart_upload(partSize=str(4 * 1024 * MiB))

    assert mpu.parts()["PartSizeInBytes"] == 4 * 1024 * MiB


def test_abort(client, vault):
    mpu = vault.initiate_multipart_upload(partSize=str(PART))
    mpu.upload_part(range=f"bytes 0-{PART - 1}/*", body=DATA[:PART])

    response = mpu.abort()

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert mpu.id not in [u.id for u in vault.multipart_uploads.all()]
    with client_error("ResourceNotFoundException", 404):
        mpu.parts()
    with client_error("ResourceNotFoundException", 404):
        mpu.upload_part(range=f"bytes {PART}-{PART + 9}/*", body=b"0123456789")
    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 0


def test_abort_twice_succeeds(client, vault):
    upload_id = client.initiate_multipart_upload(vaultName=vault.name, partSize=str(PART))["uploadId"]
    client.abort_multipart_upload(vaultName=vault.name, uploadId=upload_id)

    again = client.abort_multipart_upload(vaultName=vault.name, uploadId=upload_id)

    assert again["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_abort_of_a_completed_upload_fails(client, vault):
    mpu = vault.initiate_multipart_upload(partSize=str(PART))
    mpu.upload_part(range="bytes 0-9/*", body=b"0123456789")
    done = mpu.complete(archiveSize="10", checksum=checksum(b"0123456789"))

    with pytest.raises(ClientError) as info:
        mpu.abort()

    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 404)
    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 1
    assert done["archiveId"]


def test_parts_cannot_be_added_after_complete(vault):
    mpu = vault.initiate_multipart_upload(partSize=str(PART))
    mpu.upload_part(range="bytes 0-9/*", body=b"0123456789")
    mpu.complete(archiveSize="10", checksum=checksum(b"0123456789"))

    with client_error("ResourceNotFoundException", 404):
        mpu.upload_part(range="bytes 0-9/*", body=b"9876543210")


def test_complete_without_parts_is_rejected(vault):
    mpu = vault.initiate_multipart_upload(partSize=str(PART))

    with client_error("InvalidParameterValueException", 400):
        mpu.complete(archiveSize="0", checksum=checksum(b""))


def test_list_multipart_uploads_default_page_is_fifty(client, vault):
    for _ in range(51):
        client.initiate_multipart_upload(vaultName=vault.name, partSize=str(PART))

    page = client.list_multipart_uploads(vaultName=vault.name)

    assert len(page["UploadsList"]) == 50
    rest = client.list_multipart_uploads(vaultName=vault.name, marker=page["Marker"])
    assert len(rest["UploadsList"]) == 1


def test_multipart_uploads_collection(vault):
    ids = set()
    for i in range(3):
        ids.add(vault.initiate_multipart_upload(archiveDescription=f"upload {i}", partSize=str(PART << i)).id)

    uploads = list(vault.multipart_uploads.all())

    assert {u.id for u in uploads} == ids
    for u in uploads:
        # Attributes come from the ListMultipartUploads element (no load method).
        assert u.multipart_upload_id == u.id
        index = int(u.archive_description.split()[-1])
        assert u.part_size_in_bytes == PART << index
        assert vault_arn_pattern(vault.name).match(u.vault_arn)
        assert ISO_DATE.match(u.creation_date)
    # boto3 also exposes the collection under its historical misspelling.
    assert {u.id for u in vault.multipart_uplaods.all()} == ids
    assert len(list(vault.multipart_uploads.page_size(1))) == 3
    assert len(list(vault.multipart_uploads.limit(2))) == 2


def test_list_multipart_uploads_pages(client, vault):
    ids = {client.initiate_multipart_upload(vaultName=vault.name, partSize=str(PART))["uploadId"] for _ in range(3)}

    first, second = two_pages(client.list_multipart_uploads, "UploadsList", vaultName=vault.name)

    assert len(second) == 1
    assert {u["MultipartUploadId"] for u in first + second} == ids


def test_list_parts_pages(client, vault):
    mpu = vault.initiate_multipart_upload(partSize=str(PART))
    for rng, chunk in parts_of(DATA):
        mpu.upload_part(range=rng, body=chunk)

    first, second = two_pages(client.list_parts, "Parts", vaultName=vault.name, uploadId=mpu.id)

    assert [p["RangeInBytes"] for p in first] == ["0-1048575", "1048576-2097151"]
    assert [p["RangeInBytes"] for p in second] == ["2097152-2621439"]

    paged = client.get_paginator("list_parts").paginate(
        vaultName=vault.name, uploadId=mpu.id, PaginationConfig={"PageSize": 1}
    )
    assert [p["RangeInBytes"] for page in paged for p in page["Parts"]] == [
        "0-1048575",
        "1048576-2097151",
        "2097152-2621439",
    ]


def test_upload_id_belongs_to_its_vault(client, vault):
    other = vault.name + "-other"
    client.create_vault(vaultName=other)
    upload_id = client.initiate_multipart_upload(vaultName=vault.name, partSize=str(PART))["uploadId"]

    with client_error("ResourceNotFoundException", 404):
        client.list_parts(vaultName=other, uploadId=upload_id)
    with client_error("ResourceNotFoundException", 404):
        client.upload_multipart_part(vaultName=other, uploadId=upload_id, range="bytes 0-0/*", body=b"x")

    assert client.list_parts(vaultName=vault.name, uploadId=upload_id)["Parts"] == []


def test_unknown_upload_id(client, vault):
    with client_error("ResourceNotFoundException", 404):
        client.list_parts(vaultName=vault.name, uploadId="NOT-AN-UPLOAD-ID")
    with client_error("ResourceNotFoundException", 404):
        client.complete_multipart_upload(
            vaultName=vault.name, uploadId="NOT-AN-UPLOAD-ID", archiveSize="1", checksum=tree_hash(b"x")
        )
    with client_error("ResourceNotFoundException", 404):
        client.upload_multipart_part(
            vaultName=vault.name, uploadId="NOT-AN-UPLOAD-ID", range="bytes 0-0/*", body=b"x"
        )


def test_checksum_helpers_agree():
    """The suite's own tree hash agrees with botocore's on the shapes used here."""
    for size in (0, 1, MiB - 1, MiB, MiB + 1, 2 * MiB, 3 * MiB + 7):
        data = random_bytes(size, size)
        assert checksum(data) == tree_hash(data)
        assert HEX64.match(tree_hash(data))
