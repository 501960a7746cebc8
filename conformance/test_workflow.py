"""The archiving workflow of "Getting started with Boto 3" (Glacier), end to end.

Every step of that guide, in its order, with the boto3 resource API it uses:
list vaults, read vault attributes, create vaults two ways, delete an empty
and a non-empty vault, take an inventory, upload, retrieve, download and
delete an archive.
"""

import csv
import io
import json
import re

import pytest
from botocore.exceptions import ClientError
from botocore.utils import calculate_tree_hash

from conftest import (
    ISO_DATE,
    client_error,
    is_location,
    random_bytes,
    tree_hash,
    unique_name,
    upload,
    vault_arn_pattern,
    wait_for_job,
)


def test_list_vaults_yields_vault_resources_with_repr(glacier):
    names = sorted(unique_name("wf-list") for _ in range(3))
    for name in names:
        glacier.create_vault(vaultName=name)

    listed = [v for v in glacier.vaults.all() if v.name in names]

    assert [v.name for v in listed] == names
    for v in listed:
        assert repr(v) == f"glacier.Vault(account_id='-', name='{v.name}')"
        assert v.account_id == "-"
        assert v == glacier.Vault("-", v.name)


def test_read_vault_attributes(glacier, vault_name):
    glacier.create_vault(vaultName=vault_name)
    vault = glacier.Vault(account_id="-", name=vault_name)

    assert vault_arn_pattern(vault_name).match(vault.vault_arn)
    assert vault.vault_name == vault_name
    assert ISO_DATE.match(vault.creation_date)
    assert vault.number_of_archives == 0
    assert vault.size_in_bytes == 0
    # No inventory has ever been taken of a brand-new, never-written vault.
    assert vault.last_inventory_date is None
    # The load is DescribeVault, stored with its response metadata.
    assert set(vault.meta.data) == {
        "VaultARN", "VaultName", "CreationDate", "NumberOfArchives", "SizeInBytes", "ResponseMetadata",
    }
    assert vault.meta.data["VaultName"] == vault_name
    assert vault.meta.data["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_vault_attributes_follow_uploads(glacier, client, vault):
    data1, data2 = random_bytes(217, 1), random_bytes(5000, 2)
    upload(client, vault.name, data1)
    upload(client, vault.name, data2)

    vault.reload()

    assert vault.number_of_archives == 2
    assert vault.size_in_bytes == len(data1) + len(data2)
    assert ISO_DATE.match(vault.last_inventory_date)


def test_vault_attributes_reload_after_an_action(glacier, vault):
    assert vault.number_of_archives == 0  # loaded once

    vault.upload_archive(body=b"cached data is dropped by every action")

    # boto3 cleared the cached DescribeVault, so this read asks the endpoint again.
    assert vault.number_of_archives == 1
    assert vault.size_in_bytes == len(b"cached data is dropped by every action")


def test_create_vault_from_service_resource(glacier, client, vault_name):
    vault = glacier.create_vault(vaultName=vault_name)

    assert repr(vault) == f"glacier.Vault(account_id='-', name='{vault_name}')"
    described = client.describe_vault(vaultName=vault_name)
    assert described["VaultName"] == vault_name
    assert described["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_create_vault_from_vault_resource(glacier, client, vault_name):
    response = glacier.Vault("-", vault_name).create()

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert is_location(response["location"], vault_name)
    assert client.describe_vault(vaultName=vault_name)["VaultName"] == vault_name


def test_create_vault_is_idempotent_and_keeps_archives(glacier, client, vault):
    data = random_bytes(1234, 3)
    archive_id = upload(client, vault.name, data)["archiveId"]

    again = glacier.create_vault(vaultName=vault.name)
    again.create()

    again.reload()
    assert again.number_of_archives == 1
    assert again.size_in_bytes == len(data)
    inventory = _inventory(client, vault.name)
    assert [a["ArchiveId"] for a in inventory["ArchiveList"]] == [archive_id]


def test_delete_empty_vault(glacier, client, vault_name):
    vault = glacier.create_vault(vaultName=vault_name)

    response = vault.delete()

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    with client_error("ResourceNotFoundException", 404):
        client.describe_vault(vaultName=vault_name)
    assert vault_name not in [v.name for v in glacier.vaults.all()]


def test_vault_recreated_after_delete_starts_empty(client, vault_name):
    client.create_vault(vaultName=vault_name)
    archive_id = upload(client, vault_name, b"first life")["archiveId"]
    job_id = client.initiate_job(vaultName=vault_name, jobParameters={"Type": "inventory-retrieval"})["jobId"]
    wait_for_job(client, vault_name, job_id)
    client.delete_archive(vaultName=vault_name, archiveId=archive_id)
    client.delete_vault(vaultName=vault_name)

    client.create_vault(vaultName=vault_name)

    described = client.describe_vault(vaultName=vault_name)
    assert described["NumberOfArchives"] == 0
    assert described["SizeInBytes"] == 0
    assert client.list_jobs(vaultName=vault_name)["JobList"] == []
    with client_error("ResourceNotFoundException", 404):
        client.describe_job(vaultName=vault_name, jobId=job_id)


def test_delete_non_empty_vault_is_refused(glacier, client, vault):
    upload(client, vault.name, b"x" * 217)

    with client_error("InvalidParameterValueException", 400) as err:
        glacier.Vault(account_id="-", name=vault.name).delete()

    assert err["message"].startswith("Vault not empty or recently written to")
    assert vault.name in err["message"]
    # The vault and its archive are untouched.
    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 1


def _inventory(client, vault_name, fmt="JSON"):
    job_id = client.initiate_job(
        vaultName=vault_name,
        jobParameters={"Type": "inventory-retrieval", "Format": fmt},
    )["jobId"]
    wait_for_job(client, vault_name, job_id)
    out = client.get_job_output(vaultName=vault_name, jobId=job_id)
    raw = out["body"].read()
    return json.loads(raw) if fmt == "JSON" else raw.decode("utf-8")


def test_inventory_retrieval(glacier, client, vault):
    archives = {}
    for i, desc in enumerate(["", "RESULT", "ar.txt"]):
        data = random_bytes(100 + i * 50, 10 + i)
        archive = vault.upload_archive(archiveDescription=desc, body=data)
        archives[archive.id] = (desc, data)

    job = vault.initiate_inventory_retrieval()

    assert repr(job) == f"glacier.Job(account_id='-', vault_name='{vault.name}', id='{job.id}')"
    described = wait_for_job(client, vault.name, job.id)
    # The fields of the guide's completed inventory job, and no others.
    assert set(described) - {"ResponseMetadata"} == {
        "Action", "Completed", "CompletionDate", "CreationDate", "InventoryRetrievalParameters",
        "InventorySizeInBytes", "JobId", "StatusCode", "StatusMessage", "VaultARN",
    }
    assert described["InventoryRetrievalParameters"] == {"Format": "JSON"}
    assert described["Action"] == "InventoryRetrieval"
    assert described["JobId"] == job.id
    assert described["Completed"] is True
    assert described["StatusCode"] == "Succeeded"
    assert described["StatusMessage"] == "Succeeded"
    assert described["InventoryRetrievalParameters"]["Format"] == "JSON"
    assert vault_arn_pattern(vault.name).match(described["VaultARN"])
    assert ISO_DATE.match(described["CreationDate"])
    assert ISO_DATE.match(described["CompletionDate"])
    assert described["CompletionDate"] >= described["CreationDate"]
    for absent in ("ArchiveId", "ArchiveSHA256TreeHash", "SHA256TreeHash", "RetrievalByteRange"):
        assert absent not in described, absent
    assert described["ResponseMetadata"]["RequestId"]

    response = job.get_output()

    assert response["status"] == 200
    assert response["contentType"] == "application/json"
    assert response["acceptRanges"] == "bytes"
    body = response["body"].read()
    assert described["InventorySizeInBytes"] == len(body)
    inventory = json.loads(body)
    assert inventory["VaultARN"] == described["VaultARN"]
    assert ISO_DATE.match(inventory["InventoryDate"])
    listed = {a["ArchiveId"]: a for a in inventory["ArchiveList"]}
    assert set(listed) == set(archives)
    for archive_id, (desc, data) in archives.items():
        entry = listed[archive_id]
        assert set(entry) == {"ArchiveId", "ArchiveDescription", "CreationDate", "Size", "SHA256TreeHash"}
        assert entry["ArchiveDescription"] == desc
        assert entry["Size"] == len(data)
        assert entry["SHA256TreeHash"] == tree_hash(data)
        assert ISO_DATE.match(entry["CreationDate"])


def test_inventory_output_has_no_checksum_and_serves_ranges(client, vault):
    upload(client, vault.name, b"one", "first")
    upload(client, vault.name, b"two", "second")
    job_id = client.initiate_job(vaultName=vault.name, jobParameters={"Type": "inventory-retrieval"})["jobId"]
    size = wait_for_job(client, vault.name, job_id)["InventorySizeInBytes"]

    whole = client.get_job_output(vaultName=vault.name, jobId=job_id)
    body = whole["body"].read()
    part = client.get_job_output(vaultName=vault.name, jobId=job_id, range="bytes=0-9")

    # x-amz-sha256-tree-hash is only sent for archive retrieval output.
    assert "checksum" not in whole
    assert "archiveDescription" not in whole
    assert len(body) == size
    assert part["status"] == 206
    assert part["contentRange"] == f"bytes 0-9/{size}"
    assert part["body"].read() == body[:10]
    assert "checksum" not in part


def test_job_parameters_are_described(client, vault):
    archive_id = upload(client, vault.name, b"described")["archiveId"]
    topic = "arn:aws:sns:us-east-1:123456789012:restores"

    job_id = client.initiate_job(
        vaultName=vault.name,
        jobParameters={
            "Type": "archive-retrieval",
            "ArchiveId": archive_id,
            "Description": "nightly restore",
            "SNSTopic": topic,
            "Tier": "Bulk",
        },
    )["jobId"]
    described = client.describe_job(vaultName=vault.name, jobId=job_id)
    listed = client.list_jobs(vaultName=vault.name)["JobList"]

    assert described["JobDescription"] == "nightly restore"
    assert described["SNSTopic"] == topic
    assert described["Tier"] == "Bulk"
    assert [j["JobId"] for j in listed] == [job_id]
    for key in ("JobDescription", "SNSTopic", "Tier", "ArchiveId", "Action"):
        assert listed[0][key] == described[key], key


def test_inventory_retrieval_csv(client, vault):
    data = random_bytes(300, 4)
    archive_id = upload(client, vault.name, data, 'csv, with a comma and "quotes"')["archiveId"]

    job_id = client.initiate_job(
        vaultName=vault.name, jobParameters={"Type": "inventory-retrieval", "Format": "CSV"}
    )["jobId"]
    described = wait_for_job(client, vault.name, job_id)
    out = client.get_job_output(vaultName=vault.name, jobId=job_id)

    assert described["InventoryRetrievalParameters"]["Format"] == "CSV"
    assert out["contentType"] == "text/csv"
    text = out["body"].read().decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["ArchiveId", "ArchiveDescription", "CreationDate", "Size", "SHA256TreeHash"]
    assert len(rows) == 2
    assert rows[1][0] == archive_id
    assert rows[1][1] == 'csv, with a comma and "quotes"'
    assert ISO_DATE.match(rows[1][2])
    assert rows[1][3] == str(len(data))
    assert rows[1][4] == tree_hash(data)


def test_upload_archive_from_file(glacier, client, vault, tmp_path):
    path = tmp_path / "my_archive.zip"
    data = random_bytes(70_000, 5)
    path.write_bytes(data)

    with io.open(path, mode="rb") as fd:
        archive = vault.upload_archive(archiveDescription="Was in: my_archive.zip", body=fd)

    assert repr(archive) == (
        f"glacier.Archive(account_id='-', vault_name='{vault.name}', id='{archive.id}')"
    )
    assert archive.id
    vault.reload()
    assert vault.number_of_archives == 1
    assert vault.size_in_bytes == len(data)


def test_upload_archive_response(client, vault):
    data = random_bytes(3 * 1024 * 1024 + 17, 6)

    response = upload(client, vault.name, data, "three and a bit MiB")

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert response["checksum"] == tree_hash(data)
    assert response["checksum"] == calculate_tree_hash(io.BytesIO(data))
    assert is_location(response["location"], vault.name, "archives", response["archiveId"])
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amz-archive-id"] == response["archiveId"]


def test_identical_uploads_get_distinct_archive_ids(client, vault):
    data = b"same bytes, twice"

    first = upload(client, vault.name, data)["archiveId"]
    second = upload(client, vault.name, data)["archiveId"]

    assert first != second
    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 2
    ids = {a["ArchiveId"] for a in _inventory(client, vault.name)["ArchiveList"]}
    assert ids == {first, second}


def test_archive_retrieval_round_trip(glacier, client, vault):
    data = random_bytes(2 * 1024 * 1024 + 4321, 7)
    archive = vault.upload_archive(archiveDescription="round trip", body=data)

    job = archive.initiate_archive_retrieval()

    assert repr(job) == f"glacier.Job(account_id='-', vault_name='{vault.name}', id='{job.id}')"
    described = wait_for_job(client, vault.name, job.id)
    # The guide's archive job fields, plus those of completion and the retrieval tier.
    assert set(described) - {"ResponseMetadata"} == {
        "Action", "ArchiveId", "ArchiveSHA256TreeHash", "ArchiveSizeInBytes", "Completed", "CreationDate",
        "JobId", "RetrievalByteRange", "SHA256TreeHash", "StatusCode", "VaultARN",
        "CompletionDate", "StatusMessage", "Tier",
    }
    assert described["Action"] == "ArchiveRetrieval"
    assert described["ArchiveId"] == archive.id
    assert described["ArchiveSizeInBytes"] == len(data)
    assert described["ArchiveSHA256TreeHash"] == tree_hash(data)
    assert described["SHA256TreeHash"] == tree_hash(data)
    assert described["RetrievalByteRange"] == f"0-{len(data) - 1}"
    assert described["Tier"] == "Standard"
    assert described["StatusCode"] == "Succeeded"
    assert described["Completed"] is True
    assert vault_arn_pattern(vault.name).match(described["VaultARN"])
    assert "InventoryRetrievalParameters" not in described
    assert "InventorySizeInBytes" not in described

    response = job.get_output()

    assert response["status"] == 200
    assert response["contentType"] == "application/octet-stream"
    assert response["acceptRanges"] == "bytes"
    assert response["archiveDescription"] == "round trip"
    assert response["checksum"] == calculate_tree_hash(io.BytesIO(data))
    assert response["body"].read() == data


def test_ids_are_url_safe_and_distinct(client, vault):
    """Archive, job and upload ids go into URL paths: AWS's are URL-safe base64 text."""
    archive_id = upload(client, vault.name, b"id check")["archiveId"]
    job_id = client.initiate_job(
        vaultName=vault.name, jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id}
    )["jobId"]
    upload_id = client.initiate_multipart_upload(vaultName=vault.name, partSize="1048576")["uploadId"]

    for value in (archive_id, job_id, upload_id):
        assert re.match(r"^[A-Za-z0-9_-]{20,}$", value), value
    assert len({archive_id, job_id, upload_id}) == 3


def test_output_survives_archive_deletion(glacier, client, vault):
    """A retrieval already prepared can still be downloaded after DeleteArchive."""
    data = random_bytes(4096, 9)
    archive = vault.upload_archive(body=data)
    job = archive.initiate_archive_retrieval()
    wait_for_job(client, vault.name, job.id)

    archive.delete()

    assert job.get_output()["body"].read() == data


def test_job_resource_attributes_load_with_describe_job(glacier, client, vault):
    archive = vault.upload_archive(body=b"payload")
    job = archive.initiate_archive_retrieval()
    wait_for_job(client, vault.name, job.id)

    fresh = glacier.Job("-", vault.name, job.id)

    assert fresh.job_id == job.id
    assert fresh.action == "ArchiveRetrieval"
    assert fresh.archive_id == archive.id
    assert fresh.completed is True
    assert fresh.status_code == "Succeeded"
    assert fresh.archive_size_in_bytes == len(b"payload")
    assert fresh.archive_sha256_tree_hash == tree_hash(b"payload")
    assert fresh.meta.data["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_delete_archive(glacier, client, vault):
    archive = vault.upload_archive(body=b"to be deleted")
    keep = vault.upload_archive(body=b"to be kept")

    glacier.Archive(account_id="-", vault_name=vault.name, id=archive.id).delete()

    vault.reload()
    assert vault.number_of_archives == 1
    ids = [a["ArchiveId"] for a in _inventory(client, vault.name)["ArchiveList"]]
    assert ids == [keep.id]
    # Deleting an already-deleted archive is not an error (idempotent).
    response = client.delete_archive(vaultName=vault.name, archiveId=archive.id)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    # A retrieval of the deleted archive is refused.
    with pytest.raises(ClientError) as info:
        archive.initiate_archive_retrieval()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 404)
    assert info.value.response["Error"]["Code"] in (
        "ResourceNotFoundException",
        "InvalidParameterValueException",
    )


def test_pending_job_and_output_not_ready(delayed_glacier, delayed_client):
    name = unique_name("wf-pending")
    vault = delayed_glacier.create_vault(vaultName=name)
    vault.upload_archive(body=b"inventory me")

    job = vault.initiate_inventory_retrieval()
    described = delayed_client.describe_job(vaultName=name, jobId=job.id)

    assert described["Completed"] is False
    assert described["StatusCode"] == "InProgress"
    assert described["Action"] == "InventoryRetrieval"
    assert described["InventoryRetrievalParameters"]["Format"] == "JSON"
    assert "CompletionDate" not in described
    assert "InventorySizeInBytes" not in described
    listed = delayed_client.list_jobs(vaultName=name)["JobList"]
    assert [j["JobId"] for j in listed] == [job.id]
    assert listed[0]["StatusCode"] == "InProgress"
    with client_error("InvalidParameterValueException", 400) as err:
        job.get_output()
    assert err["message"].startswith("The job is not currently available for download")
    assert job.id in err["message"]


def test_seed_workflow_end_to_end(glacier, client, tmp_path):
    """The guide's steps, in order, on one vault of its own."""
    name = unique_name("wf-seed")

    # Create a new vault, both ways.
    vault = glacier.create_vault(vaultName=name)
    assert repr(vault) == f"glacier.Vault(account_id='-', name='{name}')"
    other = glacier.Vault("-", name + "-b")
    other.create()
    names = [v.name for v in glacier.vaults.all()]
    assert name in names and name + "-b" in names

    # Delete an empty vault.
    glacier.Vault(account_id="-", name=name + "-b").delete()
    assert name + "-b" not in [v.name for v in glacier.vaults.all()]

    # Upload an archive from a file opened in binary mode.
    arch_path = tmp_path / "my_archive.zip"
    data = random_bytes(1_500_000, 8)
    arch_path.write_bytes(data)
    with io.open(arch_path, mode="rb") as fd:
        archive = vault.upload_archive(archiveDescription="Was in: " + arch_path.name, body=fd)
    assert archive.vault_name == name

    # Read the vault attributes.
    vault = glacier.Vault(account_id="-", name=name)
    assert vault.number_of_archives == 1
    assert vault.size_in_bytes == len(data)
    assert vault_arn_pattern(name).match(vault.vault_arn)

    # A non-empty vault cannot be deleted.
    with client_error("InvalidParameterValueException", 400) as err:
        vault.delete()
    assert "Vault not empty or recently written to" in err["message"]

    # List the archives (inventory).
    job = vault.initiate_inventory_retrieval()
    pending = client.describe_job(vaultName=name, jobId=job.id)
    assert pending["Action"] == "InventoryRetrieval"
    assert [j["JobId"] for j in client.list_jobs(vaultName=name)["JobList"]] == [job.id]
    wait_for_job(client, name, job.id)
    response = job.get_output()
    assert response["contentType"] == "application/json"
    inventory = json.load(response["body"])
    assert [(a["ArchiveId"], a["ArchiveDescription"], a["Size"]) for a in inventory["ArchiveList"]] == [
        (archive.id, "Was in: my_archive.zip", len(data))
    ]

    # Download the archive (retrieval).
    job = archive.initiate_archive_retrieval()
    described = wait_for_job(client, vault.vault_name, job.id)
    assert described["ArchiveSHA256TreeHash"] == tree_hash(data)
    assert described["RetrievalByteRange"] == f"0-{len(data) - 1}"
    response = job.get_output()
    assert response["body"].read() == data
    assert response["checksum"] == tree_hash(data)

    # Delete the archive, then the vault.
    glacier.Archive(account_id="-", vault_name=name, id=archive.id).delete()
    vault.reload()
    assert vault.number_of_archives == 0
    vault.delete()
    with client_error("ResourceNotFoundException", 404):
        client.describe_vault(vaultName=name)
