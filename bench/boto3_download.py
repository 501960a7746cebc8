"""boto3's Job.get_output() of a completed retrieval job, its body read to a
file in 1 MiB reads, timed in-process: prints one JSON line with wall seconds,
this process's CPU seconds and peak RSS, and the tree hash the response
carried (boto3 does not check it)."""
import sys

import boto3

from pyclient import boto3_settings, report

endpoint, vault, job_id, path = sys.argv[1:5]
job = boto3.resource("glacier", **boto3_settings(endpoint)).Job("-", vault, job_id)


def download():
    out = job.get_output()
    with open(path, "wb") as target:
        for piece in out["body"].iter_chunks(1024 * 1024):
            target.write(piece)
    return {"checksum": out.get("checksum", "")}


report(download)
