"""The VaultExists / VaultNotExists waiters (botocore waiters-2.json).

Both poll DescribeVault: VaultExists succeeds on 200 and retries on
ResourceNotFoundException; VaultNotExists is the inverse.
"""

import threading
import time

import pytest
from botocore.exceptions import WaiterError

from conftest import client_error, record_calls

FAST = {"Delay": 0.2, "MaxAttempts": 25}
SHORT = {"Delay": 0.1, "MaxAttempts": 3}


def later(seconds, fn):
    timer = threading.Timer(seconds, fn)
    timer.daemon = True
    timer.start()
    return timer


def test_waiter_model():
    import botocore.session

    model = botocore.session.get_session().get_waiter_model("glacier")
    assert set(model.waiter_names) == {"VaultExists", "VaultNotExists"}


def test_vault_exists_on_existing_vault(client, vault_name):
    client.create_vault(vaultName=vault_name)
    calls = record_calls(client)

    client.get_waiter("vault_exists").wait(vaultName=vault_name, WaiterConfig=FAST)

    assert [op for op, _, _ in calls] == ["DescribeVault"]


def test_vault_exists_waits_for_creation(client, vault_name):
    timer = later(0.5, lambda: client.create_vault(vaultName=vault_name))
    calls = record_calls(client)

    started = time.monotonic()
    client.get_waiter("vault_exists").wait(vaultName=vault_name, WaiterConfig=FAST)
    timer.join(5)

    assert time.monotonic() - started >= 0.4
    assert [op for op, _, _ in calls].count("DescribeVault") >= 2
    assert client.describe_vault(vaultName=vault_name)["VaultName"] == vault_name


def test_vault_exists_gives_up_on_missing_vault(client, vault_name):
    calls = record_calls(client)

    with pytest.raises(WaiterError) as info:
        client.get_waiter("vault_exists").wait(vaultName=vault_name, WaiterConfig=SHORT)

    assert "Max attempts exceeded" in str(info.value)
    assert info.value.last_response["Error"]["Code"] == "ResourceNotFoundException"
    assert [op for op, _, _ in calls] == ["DescribeVault"] * SHORT["MaxAttempts"]


def test_vault_not_exists_on_missing_vault(client, vault_name):
    calls = record_calls(client)

    client.get_waiter("vault_not_exists").wait(vaultName=vault_name, WaiterConfig=FAST)

    assert [op for op, _, _ in calls] == ["DescribeVault"]


def test_vault_not_exists_waits_for_deletion(client, vault_name):
    client.create_vault(vaultName=vault_name)
    timer = later(0.5, lambda: client.delete_vault(vaultName=vault_name))

    client.get_waiter("vault_not_exists").wait(vaultName=vault_name, WaiterConfig=FAST)
    timer.join(5)

    with client_error("ResourceNotFoundException", 404):
        client.describe_vault(vaultName=vault_name)


def test_vault_not_exists_gives_up_on_existing_vault(client, vault_name):
    client.create_vault(vaultName=vault_name)

    with pytest.raises(WaiterError) as info:
        client.get_waiter("vault_not_exists").wait(vaultName=vault_name, WaiterConfig=SHORT)

    assert "Max attempts exceeded" in str(info.value)
    assert info.value.last_response["VaultName"] == vault_name


def test_waiters_after_resource_actions(glacier, client, vault_name):
    vault = glacier.Vault("-", vault_name)
    vault.create()
    client.get_waiter("vault_exists").wait(vaultName=vault_name, WaiterConfig=FAST)
    vault.delete()
    client.get_waiter("vault_not_exists").wait(vaultName=vault_name, WaiterConfig=FAST)
