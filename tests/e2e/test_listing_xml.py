"""The ListObjects XML moto_forge writes itself: encoding, markers, owners, bad arguments."""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Served, client, empty_everything

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
KEYS = ["a b/1", "a b/2", "plus+sign", "ünïcode/ключ", "zeta"]


@pytest.fixture
def bucket(served: Served) -> Iterator[str]:
    s3: Any = client(served.url)
    s3.create_bucket(Bucket="xml-list")
    for key in KEYS:
        s3.put_object(Bucket="xml-list", Key=key, Body=key.encode())
    yield f"{served.url}/xml-list"
    empty_everything(s3)


def get(url: str, **params: str) -> ET.Element:
    response = requests.get(url, params=params, timeout=30)
    assert response.status_code == 200, response.content
    return ET.fromstring(response.content)


def test_url_encoding_and_v2_fields(bucket: str) -> None:
    root = get(bucket, **{"list-type": "2", "encoding-type": "url", "delimiter": "/"})
    keys = [urllib.parse.unquote(e.text or "") for e in root.iter(f"{NS}Key")]
    prefixes = [urllib.parse.unquote(e.text or "") for e in root.iter(f"{NS}Prefix")][1:]
    assert keys == ["plus+sign", "zeta"] and prefixes == ["a b/", "ünïcode/"]
    assert next(e.text for e in root.iter(f"{NS}Key")) == "plus%2Bsign"
    assert root.findtext(f"{NS}KeyCount") == "4" and root.findtext(f"{NS}EncodingType") == "url"
    assert root.find(f"{NS}Contents/{NS}Owner") is None  # V2 shows owners only with fetch-owner
    with_owner = get(bucket, **{"list-type": "2", "fetch-owner": "true", "max-keys": "1"})
    assert with_owner.find(f"{NS}Contents/{NS}Owner/{NS}ID") is not None
    assert with_owner.findtext(f"{NS}IsTruncated") == "true" and with_owner.findtext(f"{NS}NextContinuationToken")


def test_v1_markers(bucket: str) -> None:
    first = get(bucket, delimiter="/", **{"max-keys": "2"})
    assert first.findtext(f"{NS}IsTruncated") == "true"
    assert first.findtext(f"{NS}NextMarker") == "plus+sign"
    rest = get(bucket, delimiter="/", marker=first.findtext(f"{NS}NextMarker") or "")
    assert [e.text for e in rest.iter(f"{NS}Key")] == ["zeta"]
    assert [e.text for e in rest.findall(f"{NS}CommonPrefixes/{NS}Prefix")] == ["ünïcode/"]
    assert rest.find(f"{NS}Prefix") is None  # V1 leaves it out when not asked for, as moto
    assert rest.find(f"{NS}Contents/{NS}Owner") is not None


@pytest.mark.parametrize("params", [{"max-keys": "lots"}, {"encoding-type": "base64"}, {"max-keys": "-1"}])
def test_bad_listing_arguments(bucket: str, params: dict[str, str]) -> None:
    response = requests.get(bucket, params={"list-type": "2", **params}, timeout=30)
    assert response.status_code == 400 and b"<Code>InvalidArgument</Code>" in response.content
