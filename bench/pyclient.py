"""What the Python bench clients share: timing one call in-process and
printing the result line bench/common.ts reads, and boto3's client settings."""
import json
import resource
import time


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


def report(call):
    """Runs `call`, which returns a dict of extra fields, and prints one JSON line:
    wall seconds, this process's CPU seconds and peak RSS, and those fields."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    extra = call()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "seconds": seconds,
        "cpuSeconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "maxRssBytes": peak_rss(),
        **extra,
    }))


def boto3_settings(endpoint):
    """boto3 client arguments for the local endpoint: one attempt, long reads."""
    from botocore.config import Config

    return {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
        "config": Config(retries={"max_attempts": 1}, read_timeout=600),
    }
