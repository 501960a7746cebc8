"""boto3's upload_archive of one file, timed in-process: prints one JSON line
with wall seconds, this process's CPU seconds and peak RSS, and the archive's
checksum as the endpoint returned it."""
import sys

import boto3

from pyclient import boto3_settings, report

endpoint, vault, path = sys.argv[1:4]
client = boto3.client("glacier", **boto3_settings(endpoint))


def upload():
    with open(path, "rb") as body:
        out = client.upload_archive(vaultName=vault, body=body)
    return {"checksum": out["checksum"], "archiveId": out["archiveId"]}


report(upload)
