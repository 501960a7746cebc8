"""boto 2's Vault.concurrent_create_archive_from_file of one file with 4
threads (boto 2's own part size), timed in-process: prints one JSON line with
wall seconds, this process's CPU seconds and peak RSS, and the archive's id
(the endpoint checked boto's tree hashes). Runs under a python3 that has
Debian's python3-boto (bench/link.ts finds one)."""
import sys
from urllib.parse import urlparse

from boto.glacier.layer2 import Layer2
from boto.regioninfo import RegionInfo

from pyclient import report

endpoint, vault_name, path = sys.argv[1:4]
url = urlparse(endpoint)
glacier = Layer2(
    aws_access_key_id="test",
    aws_secret_access_key="test",
    region=RegionInfo(name="us-east-1", endpoint=url.hostname),
    is_secure=False,
    port=url.port,
)
# boto 2 reads the service and Region from the host name; an IP address has neither.
auth = glacier.layer1._auth_handler
auth.service_name = "glacier"
auth.region_name = "us-east-1"
vault = glacier.get_vault(vault_name)
report(lambda: {"archiveId": vault.concurrent_create_archive_from_file(path, "bench", num_threads=4)})
