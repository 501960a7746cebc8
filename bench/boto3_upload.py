"""boto3's upload_archive of one file, timed in-process: prints one JSON line
with wall seconds, this process's CPU seconds and peak RSS, and the archive's
checksum as the endpoint returned it."""
import json
import resource
import sys
import time

import boto3
from botocore.config import Config



def peak_rss():
    """This program's own peak RSS (getrusage's survives exec, so it could be the parent's)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


endpoint, vault, path = sys.argv[1:4]
client = boto3.client(
    "glacier",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
    config=Config(retries={"max_attempts": 1}, read_timeout=600),
)
before = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
with open(path, "rb") as body:
    out = client.upload_archive(vaultName=vault, body=body)
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "seconds": seconds,
    "cpuSeconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
    "maxRssBytes": peak_rss(),
    "checksum": out["checksum"],
    "archiveId": out["archiveId"],
}))
