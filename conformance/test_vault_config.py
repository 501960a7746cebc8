"""Vault configuration and account-level operations.

Notifications (also through the boto3 Notification resource), tags, the vault
access policy, the vault lock life cycle, the data retrieval policy,
provisioned capacity, and the Account resource.
"""

import json
from datetime import datetime, timedelta

import pytest

from conftest import ISO_DATE, client_error, unique_name, upload

TOPIC = "arn:aws:sns:us-east-1:123456789012:glacier-jobs"
EVENTS = ["ArchiveRetrievalCompleted", "InventoryRetrievalCompleted"]


def policy_document(effect, actions, vault_arn):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "conformance",
            "Principal": "*",
            "Effect": effect,
            "Action": actions,
            "Resource": vault_arn,
        }],
    })


def parse_date(value):
    return datetime.strptime(value.rstrip("Z").split(".")[0], "%Y-%m-%dT%H:%M:%S")


# ---------------------------------------------------------------- notifications

def test_notification_resource(glacier, client, vault):
    notification = vault.Notification()
    assert repr(notification) == f"glacier.Notification(account_id='-', vault_name='{vault.name}')"

    response = notification.set(vaultNotificationConfig={"SNSTopic": TOPIC, "Events": EVENTS})

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    loaded = glacier.Notification("-", vault.name)
    assert loaded.sns_topic == TOPIC
    assert sorted(loaded.events) == EVENTS
    raw = client.get_vault_notifications(vaultName=vault.name)["vaultNotificationConfig"]
    assert raw == {"SNSTopic": TOPIC, "Events": raw["Events"]}
    assert sorted(raw["Events"]) == EVENTS

    assert notification.delete()["ResponseMetadata"]["HTTPStatusCode"] == 204
    with client_error("ResourceNotFoundException", 404):
        client.get_vault_notifications(vaultName=vault.name)


@pytest.mark.parametrize(
    "config",
    [
        {"SNSTopic": TOPIC, "Events": ["ArchiveDeleted"]},
        {"SNSTopic": "not-an-arn", "Events": EVENTS},
        {"SNSTopic": TOPIC, "Events": []},
    ],
    ids=["unknown-event", "topic-not-an-arn", "no-events"],
)
def test_invalid_notification_config(client, vault, config):
    with client_error("InvalidParameterValueException", 400):
        client.set_vault_notifications(vaultName=vault.name, vaultNotificationConfig=config)


# ---------------------------------------------------------------- tags

def test_tags(client, vault):
    assert client.list_tags_for_vault(vaultName=vault.name)["Tags"] == {}

    client.add_tags_to_vault(vaultName=vault.name, Tags={"team": "archive", "cost": "1"})
    client.add_tags_to_vault(vaultName=vault.name, Tags={"cost": "2"})
    assert client.list_tags_for_vault(vaultName=vault.name)["Tags"] == {"team": "archive", "cost": "2"}

    # Idempotent; unknown keys are not an error.
    client.remove_tags_from_vault(vaultName=vault.name, TagKeys=["cost", "never-set"])
    client.remove_tags_from_vault(vaultName=vault.name, TagKeys=["cost"])
    assert client.list_tags_for_vault(vaultName=vault.name)["Tags"] == {"team": "archive"}


@pytest.mark.parametrize(
    "tags",
    [{"k" * 129: "v"}, {"k": "v" * 257}, {"aws:reserved": "v"}],
    ids=["key-129-chars", "value-257-chars", "aws-prefix"],
)
def test_invalid_tags(client, vault, tags):
    with client_error("InvalidParameterValueException", 400):
        client.add_tags_to_vault(vaultName=vault.name, Tags=tags)

    assert client.list_tags_for_vault(vaultName=vault.name)["Tags"] == {}


def test_at_most_ten_tags(client, vault):
    client.add_tags_to_vault(vaultName=vault.name, Tags={f"k{i}": str(i) for i in range(10)})

    with client_error("LimitExceededException", 400):
        client.add_tags_to_vault(vaultName=vault.name, Tags={"eleventh": "x"})
    # Overwriting an existing key does not add a tag.
    client.add_tags_to_vault(vaultName=vault.name, Tags={"k0": "again"})

    tags = client.list_tags_for_vault(vaultName=vault.name)["Tags"]
    assert len(tags) == 10
    assert tags["k0"] == "again"


def test_eleven_tags_at_once(client, vault):
    with client_error("LimitExceededException", 400):
        client.add_tags_to_vault(vaultName=vault.name, Tags={f"k{i}": "v" for i in range(11)})

    assert client.list_tags_for_vault(vaultName=vault.name)["Tags"] == {}


# ---------------------------------------------------------------- access policy

def test_access_policy_life_cycle(client, vault):
    with client_error("ResourceNotFoundException", 404):
        client.get_vault_access_policy(vaultName=vault.name)
    document = policy_document("Allow", "glacier:ListJobs", vault.vault_arn)

    response = client.set_vault_access_policy(vaultName=vault.name, policy={"Policy": document})

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    stored = client.get_vault_access_policy(vaultName=vault.name)["policy"]["Policy"]
    assert json.loads(stored) == json.loads(document)
    assert client.delete_vault_access_policy(vaultName=vault.name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with client_error("ResourceNotFoundException", 404):
        client.get_vault_access_policy(vaultName=vault.name)


def test_access_policy_deny_is_enforced(client, vault):
    archive_id = upload(client, vault.name, b"protected")["archiveId"]
    document = policy_document("Deny", ["glacier:DeleteArchive", "glacier:DeleteVault"], vault.vault_arn)
    client.set_vault_access_policy(vaultName=vault.name, policy={"Policy": document})

    with client_error("AccessDeniedException", 403):
        client.delete_archive(vaultName=vault.name, archiveId=archive_id)
    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 1

    client.delete_vault_access_policy(vaultName=vault.name)
    client.delete_archive(vaultName=vault.name, archiveId=archive_id)
    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 0


def test_access_policy_deny_delete_vault(client, vault):
    client.set_vault_access_policy(
        vaultName=vault.name, policy={"Policy": policy_document("Deny", "glacier:DeleteVault", vault.vault_arn)}
    )

    with client_error("AccessDeniedException", 403):
        client.delete_vault(vaultName=vault.name)

    assert client.describe_vault(vaultName=vault.name)["VaultName"] == vault.name


def test_invalid_access_policy(client, vault):
    with client_error("InvalidParameterValueException", 400):
        client.set_vault_access_policy(vaultName=vault.name, policy={"Policy": "{not json"})


def test_access_policy_of_more_than_20_kb(client, vault):
    statement = json.loads(policy_document("Allow", "glacier:ListJobs", vault.vault_arn))["Statement"][0]
    statements = [dict(statement, Sid=f"s{i}") for i in range(200)]
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    assert len(document) > 20 * 1024

    with client_error("InvalidParameterValueException", 400):
        client.set_vault_access_policy(vaultName=vault.name, policy={"Policy": document})


# ---------------------------------------------------------------- vault lock

def test_vault_lock_life_cycle(client, vault):
    with client_error("ResourceNotFoundException", 404):
        client.get_vault_lock(vaultName=vault.name)
    document = policy_document("Deny", "glacier:DeleteArchive", vault.vault_arn)

    initiated = client.initiate_vault_lock(vaultName=vault.name, policy={"Policy": document})
    lock_id = initiated["lockId"]

    assert initiated["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert lock_id
    lock = client.get_vault_lock(vaultName=vault.name)
    assert lock["State"] == "InProgress"
    assert json.loads(lock["Policy"]) == json.loads(document)
    assert ISO_DATE.match(lock["CreationDate"])
    assert ISO_DATE.match(lock["ExpirationDate"])
    lifetime = parse_date(lock["ExpirationDate"]) - parse_date(lock["CreationDate"])
    assert abs(lifetime - timedelta(hours=24)) <= timedelta(seconds=1)

    # A wrong lock id is an invalid parameter while InProgress.
    with client_error("InvalidParameterValueException", 400):
        client.complete_vault_lock(vaultName=vault.name, lockId="not-the-lock-id")

    assert client.complete_vault_lock(vaultName=vault.name, lockId=lock_id)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert client.get_vault_lock(vaultName=vault.name)["State"] == "Locked"
    # Idempotent with the right id; AccessDenied with a wrong one once Locked.
    client.complete_vault_lock(vaultName=vault.name, lockId=lock_id)
    with client_error("AccessDeniedException", 403):
        client.complete_vault_lock(vaultName=vault.name, lockId="not-the-lock-id")
    with client_error("AccessDeniedException", 403):
        client.abort_vault_lock(vaultName=vault.name)
    assert client.get_vault_lock(vaultName=vault.name)["State"] == "Locked"


def test_second_lock_while_in_progress_is_denied(client, vault):
    document = policy_document("Deny", "glacier:DeleteArchive", vault.vault_arn)
    client.initiate_vault_lock(vaultName=vault.name, policy={"Policy": document})

    with client_error("AccessDeniedException", 403):
        client.initiate_vault_lock(vaultName=vault.name, policy={"Policy": document})

    assert client.get_vault_lock(vaultName=vault.name)["State"] == "InProgress"


def test_vault_lock_abort(client, vault):
    document = policy_document("Deny", "glacier:DeleteArchive", vault.vault_arn)
    client.initiate_vault_lock(vaultName=vault.name, policy={"Policy": document})

    assert client.abort_vault_lock(vaultName=vault.name)["ResponseMetadata"]["HTTPStatusCode"] == 204

    with client_error("ResourceNotFoundException", 404):
        client.get_vault_lock(vaultName=vault.name)
    # A new lock may start after an abort.
    assert client.initiate_vault_lock(vaultName=vault.name, policy={"Policy": document})["lockId"]


def test_locked_policy_deny_is_enforced(client, vault):
    archive_id = upload(client, vault.name, b"locked")["archiveId"]
    document = policy_document("Deny", "glacier:DeleteArchive", vault.vault_arn)
    lock_id = client.initiate_vault_lock(vaultName=vault.name, policy={"Policy": document})["lockId"]
    client.complete_vault_lock(vaultName=vault.name, lockId=lock_id)

    with client_error("AccessDeniedException", 403):
        client.delete_archive(vaultName=vault.name, archiveId=archive_id)

    assert client.describe_vault(vaultName=vault.name)["NumberOfArchives"] == 1


# ---------------------------------------------------------------- account level

@pytest.fixture
def restore_data_retrieval_policy(client):
    before = client.get_data_retrieval_policy()["Policy"]
    yield before
    client.set_data_retrieval_policy(Policy=before)


def test_data_retrieval_policy(client, restore_data_retrieval_policy):
    assert len(restore_data_retrieval_policy["Rules"]) == 1
    policy = {"Rules": [{"Strategy": "BytesPerHour", "BytesPerHour": 10 * 1024 ** 3}]}

    response = client.set_data_retrieval_policy(Policy=policy)

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert client.get_data_retrieval_policy()["Policy"] == policy


def test_bytes_per_hour_policy_limits_standard_retrievals_only(client, vault, restore_data_retrieval_policy):
    archive_id = upload(client, vault.name, b"x" * 200_000)["archiveId"]
    client.set_data_retrieval_policy(Policy={"Rules": [{"Strategy": "BytesPerHour", "BytesPerHour": 1}]})

    with client_error("PolicyEnforcedException", 400):
        client.initiate_job(
            vaultName=vault.name,
            jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id, "Tier": "Standard"},
        )
    # Data retrieval policies apply to Standard retrievals only.
    bulk = client.initiate_job(
        vaultName=vault.name, jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id, "Tier": "Bulk"}
    )
    assert bulk["jobId"]


@pytest.mark.parametrize(
    "policy",
    [
        {"Rules": [{"Strategy": "Unlimited"}]},
        {"Rules": [{"Strategy": "BytesPerHour"}]},
        {"Rules": [{"Strategy": "None"}, {"Strategy": "FreeTier"}]},
    ],
    ids=["unknown-strategy", "missing-bytes-per-hour", "two-rules"],
)
def test_invalid_data_retrieval_policy(client, restore_data_retrieval_policy, policy):
    with client_error("InvalidParameterValueException", 400):
        client.set_data_retrieval_policy(Policy=policy)

    assert client.get_data_retrieval_policy()["Policy"] == restore_data_retrieval_policy


def test_provisioned_capacity(client):
    """Up to two units per account; the unit list shows each one's term."""
    existing = client.list_provisioned_capacity()["ProvisionedCapacityList"]
    purchased = []
    for _ in range(2 - len(existing)):
        response = client.purchase_provisioned_capacity()
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
        purchased.append(response["capacityId"])

    with client_error("LimitExceededException", 400):
        client.purchase_provisioned_capacity()

    units = client.list_provisioned_capacity()["ProvisionedCapacityList"]
    assert len(units) == 2
    assert set(purchased) <= {u["CapacityId"] for u in units}
    for unit in units:
        assert ISO_DATE.match(unit["StartDate"])
        assert ISO_DATE.match(unit["ExpirationDate"])
        assert parse_date(unit["ExpirationDate"]) > parse_date(unit["StartDate"])


def test_account_resource(glacier):
    account = glacier.Account("-")
    name = unique_name("acct")

    vault = account.create_vault(vaultName=name)

    assert repr(account) == "glacier.Account(id='-')"
    assert repr(vault) == f"glacier.Vault(account_id='-', name='{name}')"
    assert account.Vault(name) == vault
    assert name in [v.name for v in account.vaults.all()]
