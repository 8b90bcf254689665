"""Snapshots over S3 (x-forge-root) and virtual-host addressing."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import requests

from tests.e2e.conftest import Served, client, empty_everything

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def test_reads_as_of_an_earlier_root(served: Served) -> None:
    s3: Any = client(served.url)
    s3.create_bucket(Bucket="history")
    try:
        first = s3.put_object(Bucket="history", Key="doc", Body=b"version one")
        root_one = first["ResponseMetadata"]["HTTPHeaders"]["x-forge-root"]
        s3.put_object(Bucket="history", Key="doc", Body=b"version two")
        s3.put_object(Bucket="history", Key="added-later", Body=b"x")
        old = requests.get(f"{served.url}/history/doc", headers={"x-forge-root": root_one}, timeout=30)
        assert old.content == b"version one" and old.headers["x-forge-root"] == root_one
        assert requests.get(f"{served.url}/history/doc", timeout=30).content == b"version two"
        listing = requests.get(f"{served.url}/history?list-type=2&forge-root={root_one}", timeout=30)
        keys = [e.text for e in ET.fromstring(listing.content).iter(f"{NS}Key")]
        assert keys == ["doc"]
        gone = requests.get(f"{served.url}/history/added-later?forge-root={root_one}", timeout=30)
        assert gone.status_code == 404
    finally:
        empty_everything(s3)


def test_virtual_host_addressing(served: Served) -> None:
    host = f"vhost-bucket.localhost:{served.port}"
    base = f"http://127.0.0.1:{served.port}"
    assert requests.put(f"{base}/", headers={"Host": host}, timeout=30).status_code == 200
    put = requests.put(f"{base}/dir/file.txt", data=b"virtual", headers={"Host": host}, timeout=30)
    assert put.status_code == 200
    assert requests.get(f"{base}/dir/file.txt", headers={"Host": host}, timeout=30).content == b"virtual"
    assert requests.get(f"{base}/vhost-bucket/dir/file.txt", timeout=30).content == b"virtual"  # path-style too
    listing = requests.get(f"{base}/?list-type=2", headers={"Host": host}, timeout=30)
    assert [e.text for e in ET.fromstring(listing.content).iter(f"{NS}Key")] == ["dir/file.txt"]
    assert requests.delete(f"{base}/dir/file.txt", headers={"Host": host}, timeout=30).status_code == 204
    assert requests.delete(f"{base}/", headers={"Host": host}, timeout=30).status_code == 204
