"""Inventory retrieval parameters: Limit / Marker paging and the date window.

After a limited inventory job completes, DescribeJob's
InventoryRetrievalParameters.Marker says where a *new* job continues; it is
null once the inventory is exhausted.
"""

import json

from conftest import upload, wait_for_job


def inventory_job(client, vault_name, **params):
    job_params = {"Type": "inventory-retrieval", "Format": "JSON"}
    if params:
        job_params["InventoryRetrievalParameters"] = params
    job_id = client.initiate_job(vaultName=vault_name, jobParameters=job_params)["jobId"]
    desc = wait_for_job(client, vault_name, job_id)
    body = json.loads(client.get_job_output(vaultName=vault_name, jobId=job_id)["body"].read())
    return desc, [a["ArchiveId"] for a in body["ArchiveList"]]


def test_inventory_paging_with_limit_and_marker(client, vault):
    ids = [upload(client, vault.name, f"archive {i}".encode())["archiveId"] for i in range(5)]

    seen, marker, pages = [], None, 0
    while True:
        params = {"Limit": "2"}
        if marker:
            params["Marker"] = marker
        desc, page = inventory_job(client, vault.name, **params)
        pages += 1
        assert desc["InventoryRetrievalParameters"]["Limit"] == "2"
        assert len(page) <= 2
        seen.extend(page)
        marker = desc["InventoryRetrievalParameters"].get("Marker")
        if not marker:
            break
        assert len(page) == 2
        assert pages < 10

    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    assert pages == 3


def test_inventory_date_window(client, vault):
    ids = {upload(client, vault.name, b"dated")["archiveId"] for _ in range(2)}

    desc, everything = inventory_job(client, vault.name, StartDate="2000-01-01T00:00:00Z")
    assert set(everything) == ids
    assert desc["InventoryRetrievalParameters"]["StartDate"] == "2000-01-01T00:00:00Z"

    desc, none_before = inventory_job(client, vault.name, EndDate="2000-01-01T00:00:00Z")
    assert none_before == []
    assert desc["InventoryRetrievalParameters"]["EndDate"] == "2000-01-01T00:00:00Z"

    _, none_after = inventory_job(client, vault.name, StartDate="2999-01-01T00:00:00Z")
    assert none_after == []


def test_inventory_omits_deleted_archives_and_unfinished_uploads(client, vault):
    gone = upload(client, vault.name, b"deleted soon")["archiveId"]
    kept = upload(client, vault.name, b"kept")["archiveId"]
    client.delete_archive(vaultName=vault.name, archiveId=gone)
    client.initiate_multipart_upload(vaultName=vault.name, partSize="1048576")

    _, listed = inventory_job(client, vault.name)

    assert listed == [kept]
