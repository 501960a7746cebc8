"""boto3 resource collections and the ListVaults / ListJobs paging behind them."""

import re

import pytest

from conftest import (
    ISO_DATE,
    client_error,
    make_resource,
    record_calls,
    two_pages,
    unique_name,
    upload,
    vault_arn_pattern,
    wait_for_job,
)


@pytest.fixture
def many_vaults(glacier):
    """Twelve vaults sharing a unique prefix, with names that exercise ASCII order."""
    prefix = unique_name("col")
    suffixes = ["-a", ".b", "0", "9", "A", "Z", "_", "a", "z", "B-", "b.", "m"]
    names = [prefix + s for s in suffixes]
    for name in names:
        glacier.create_vault(vaultName=name)
    return prefix, names


def all_vault_names(client, **kw):
    names, marker = [], None
    while True:
        params = dict(kw)
        if marker:
            params["marker"] = marker
        page = client.list_vaults(**params)
        names.extend(v["VaultName"] for v in page["VaultList"])
        marker = page.get("Marker")
        if not marker:
            return names


def test_list_vaults_is_ascii_sorted(client, many_vaults):
    prefix, names = many_vaults

    listed = all_vault_names(client, limit="1000")

    assert listed == sorted(listed)  # byte order: '-' < '.' < digits < upper < '_' < lower
    assert [n for n in listed if n.startswith(prefix)] == sorted(names)


def test_list_vaults_default_page_is_ten(client, many_vaults):
    page = client.list_vaults()

    assert len(page["VaultList"]) == 10
    assert page["Marker"]


def test_list_vaults_limit_and_marker(client, many_vaults):
    expected = all_vault_names(client, limit="1000")

    pages = []
    marker = None
    while True:
        params = {"limit": "5"}
        if marker:
            params["marker"] = marker
        page = client.list_vaults(**params)
        assert len(page["VaultList"]) <= 5
        pages.append([v["VaultName"] for v in page["VaultList"]])
        marker = page.get("Marker")
        if not marker:
            break
        assert len(page["VaultList"]) == 5

    assert [n for p in pages for n in p] == expected


def test_list_vaults_marker_is_a_vault_arn(client, many_vaults):
    page = client.list_vaults(limit="1")

    assert re.match(r"^arn:aws:glacier:us-east-1:\d{12}:vaults/[A-Za-z0-9_.-]{1,255}$", page["Marker"])


def test_list_vaults_paginator(client, many_vaults):
    expected = all_vault_names(client, limit="1000")

    pages = list(client.get_paginator("list_vaults").paginate(PaginationConfig={"PageSize": 4}))

    assert all(len(p["VaultList"]) <= 4 for p in pages)
    assert [v["VaultName"] for p in pages for v in p["VaultList"]] == expected


def test_vault_list_elements_carry_describe_vault_fields(client, many_vaults):
    prefix, names = many_vaults
    upload(client, names[0], b"some bytes")

    pages = client.get_paginator("list_vaults").paginate()
    entry = next(v for p in pages for v in p["VaultList"] if v["VaultName"] == names[0])
    described = client.describe_vault(vaultName=names[0])

    for key in ("VaultARN", "VaultName", "CreationDate", "LastInventoryDate", "NumberOfArchives", "SizeInBytes"):
        assert entry.get(key) == described.get(key), key
    assert entry["NumberOfArchives"] == 1
    assert entry["SizeInBytes"] == len(b"some bytes")
    assert vault_arn_pattern(names[0]).match(entry["VaultARN"])
    assert ISO_DATE.match(entry["CreationDate"])


def test_vaults_collection_uses_list_elements_without_describe(endpoint, many_vaults):
    prefix, names = many_vaults
    glacier = make_resource(endpoint)
    calls = record_calls(glacier.meta.client)

    vaults = [v for v in glacier.vaults.all() if v.name.startswith(prefix)]

    assert [v.name for v in vaults] == sorted(names)
    assert [v.number_of_archives for v in vaults] == [0] * len(names)
    assert all(vault_arn_pattern(v.name).match(v.vault_arn) for v in vaults)
    ops = {op for op, _, _ in calls}
    assert ops == {"ListVaults"}


def test_vaults_page_size_and_limit(endpoint, many_vaults):
    prefix, names = many_vaults
    glacier = make_resource(endpoint)
    calls = record_calls(glacier.meta.client)

    by_pages = [v.name for v in glacier.vaults.page_size(3)]

    assert [n for n in by_pages if n.startswith(prefix)] == sorted(names)
    assert all(q.get("limit") == "3" for op, _, q in calls if op == "ListVaults")
    assert len([c for c in calls if c[0] == "ListVaults"]) >= len(names) // 3

    limited = list(glacier.vaults.limit(4))
    assert len(limited) == 4
    assert [v.name for v in limited] == by_pages[:4]

    pages = list(glacier.vaults.page_size(5).pages())
    assert all(len(p) <= 5 for p in pages)
    assert [v.name for p in pages for v in p] == by_pages


@pytest.mark.parametrize("limit", ["0", "1001", "ten"])
def test_list_vaults_limit_out_of_range(client, limit):
    with client_error("InvalidParameterValueException", 400):
        client.list_vaults(limit=limit)


@pytest.fixture
def vault_with_jobs(client, vault):
    archive_id = upload(client, vault.name, b"job payload")["archiveId"]
    inventory = vault.initiate_inventory_retrieval().id
    retrieval = vault.Archive(archive_id).initiate_archive_retrieval().id
    wait_for_job(client, vault.name, inventory)
    wait_for_job(client, vault.name, retrieval)
    return vault, {inventory: "InventoryRetrieval", retrieval: "ArchiveRetrieval"}


def test_job_collections_on_completed_jobs(vault_with_jobs):
    vault, jobs = vault_with_jobs

    assert {j.id for j in vault.jobs.all()} == set(jobs)
    assert {j.id for j in vault.succeeded_jobs.all()} == set(jobs)
    assert {j.id for j in vault.completed_jobs.all()} == set(jobs)
    assert list(vault.jobs_in_progress.all()) == []
    assert list(vault.failed_jobs.all()) == []
    assert {j.id for j in vault.jobs.filter(completed="false")} == set()
    assert {j.id for j in vault.jobs.filter(statuscode="Succeeded")} == set(jobs)


def test_job_collection_elements_carry_attributes(endpoint, vault_with_jobs):
    vault, jobs = vault_with_jobs
    glacier = make_resource(endpoint)
    calls = record_calls(glacier.meta.client)

    listed = list(glacier.Vault("-", vault.name).jobs.all())

    for job in listed:
        assert job.vault_name == vault.name
        assert job.action == jobs[job.id]
        assert job.status_code == "Succeeded"
        assert job.completed is True
        assert ISO_DATE.match(job.creation_date)
        assert ISO_DATE.match(job.completion_date)
        assert vault_arn_pattern(vault.name).match(job.vault_arn)
    assert {op for op, _, _ in calls} == {"ListJobs"}


def test_list_jobs_pages(client, vault_with_jobs):
    vault, jobs = vault_with_jobs
    more = vault.initiate_inventory_retrieval().id
    wait_for_job(client, vault.name, more)

    first, second = two_pages(client.list_jobs, "JobList", vaultName=vault.name)

    assert len(second) == 1
    assert {j["JobId"] for j in first + second} == set(jobs) | {more}
    assert len(list(vault.jobs.page_size(1))) == 3
    assert len(list(vault.jobs.limit(1))) == 1


def test_list_jobs_default_page_is_fifty(client, vault):
    upload(client, vault.name, b"x")
    for _ in range(51):
        client.initiate_job(vaultName=vault.name, jobParameters={"Type": "inventory-retrieval"})

    page = client.list_jobs(vaultName=vault.name)

    assert len(page["JobList"]) == 50
    rest = client.list_jobs(vaultName=vault.name, marker=page["Marker"])
    assert len(rest["JobList"]) == 1
    assert len(list(vault.jobs.all())) == 51


def test_job_collections_on_pending_jobs(delayed_glacier, delayed_client):
    vault = delayed_glacier.create_vault(vaultName=unique_name("col-pending"))
    vault.upload_archive(body=b"pending")
    job = vault.initiate_inventory_retrieval()

    assert [j.id for j in vault.jobs_in_progress.all()] == [job.id]
    assert [j.id for j in vault.jobs.filter(completed="false")] == [job.id]
    assert [j.id for j in vault.jobs.all()] == [job.id]
    assert list(vault.completed_jobs.all()) == []
    assert list(vault.succeeded_jobs.all()) == []
    assert list(vault.failed_jobs.all()) == []
    listed = next(iter(vault.jobs_in_progress.all()))
    assert listed.status_code == "InProgress"
    assert listed.completed is False


def test_list_jobs_rejects_unknown_filters(client, vault):
    with client_error("InvalidParameterValueException", 400):
        client.list_jobs(vaultName=vault.name, statuscode="Finished")
    with client_error("InvalidParameterValueException", 400):
        client.list_jobs(vaultName=vault.name, completed="maybe")


def test_subresources_make_no_requests(endpoint, vault):
    glacier = make_resource(endpoint)
    calls = record_calls(glacier.meta.client)

    v = glacier.Vault("-", vault.name)
    archive = v.Archive("ARCHIVE-ID")
    job = v.Job("JOB-ID")
    mpu = v.MultipartUpload("UPLOAD-ID")

    assert repr(archive) == f"glacier.Archive(account_id='-', vault_name='{vault.name}', id='ARCHIVE-ID')"
    assert repr(job) == f"glacier.Job(account_id='-', vault_name='{vault.name}', id='JOB-ID')"
    assert repr(mpu) == f"glacier.MultipartUpload(account_id='-', vault_name='{vault.name}', id='UPLOAD-ID')"
    assert v.get_available_subresources() == ["Account", "Archive", "Job", "MultipartUpload", "Notification"]
    assert calls == []
