"""The XML request-body check: any bytes get either acceptance or MalformedXML, never another
exception (moto's own parser would otherwise raise deep inside a handler)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moto_forge.errors import MalformedXML
from moto_forge.s3 import xmlcheck

OPERATIONS = [
    ("POST", {"delete"}),
    ("POST", {"uploadId"}),
    ("PUT", {"tagging"}),
    ("PUT", set()),
    ("PUT", {"acl"}),
    ("PUT", {"versioning"}),
]

FRAGMENTS = st.sampled_from(
    ["<Delete>", "</Delete>", "<Object>", "</Object>", "<Key>", "</Key>", "k", "<Part>", "</Part>",
     "<PartNumber>", "</PartNumber>", "1", "<ETag>", "</ETag>", "<CompleteMultipartUpload>",
     "</CompleteMultipartUpload>", "<Tagging>", "<TagSet>", "<Tag>", "<Value>", "&amp;", "&bogus;",
     "<!DOCTYPE x [<!ENTITY a 'b'>]>",
     "<VersioningConfiguration>", "</VersioningConfiguration>", "<Status>", "</Status>", "Enabled",
     "<?xml version='1.0'?>", "\x00", "]]>", "<![CDATA[x]]>", " "]
)  # fmt: skip


def check_only_malformed(body: bytes, method: str, subresources: set[str]) -> None:
    with contextlib.suppress(MalformedXML):
        xmlcheck.check(body, method, subresources)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512), st.sampled_from(OPERATIONS))
def test_any_bytes_are_accepted_or_malformed(body: bytes, operation: tuple[str, set[str]]) -> None:
    check_only_malformed(body, *operation)


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=30), st.sampled_from(OPERATIONS))
def test_xml_shaped_bodies_are_accepted_or_malformed(parts: list[str], operation: tuple[str, set[str]]) -> None:
    check_only_malformed("".join(parts).encode("utf-8", "surrogatepass"), *operation)


def test_valid_bodies_pass_and_invalid_ones_say_what_is_wrong() -> None:
    xmlcheck.check(b"<Delete><Object><Key>a</Key></Object></Delete>", "POST", {"delete"})
    with pytest.raises(MalformedXML, match="1 to 1000"):
        xmlcheck.check(b"<Delete></Delete>", "POST", {"delete"})
    with pytest.raises(MalformedXML, match="larger than"):
        xmlcheck.check(b"<a>" + b" " * xmlcheck.MAX_XML_BODY + b"</a>", "PUT", {"tagging"})


@pytest.mark.parametrize(
    "body",
    [
        b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
        b"<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>",
        b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status>'
        b"</VersioningConfiguration>",
    ],
)
def test_a_versioning_status_s3_knows_passes(body: bytes) -> None:
    xmlcheck.check(body, "PUT", {"versioning"})


@pytest.mark.parametrize(
    "body",
    [
        b"<VersioningConfiguration><Status>Maybe</Status></VersioningConfiguration>",
        b"<VersioningConfiguration><Status> Enabled </Status></VersioningConfiguration>",
        b"<VersioningConfiguration/>",
        b"<VersioningConfiguration><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>",
        b"<VersioningConfiguration><Status>Enabled</Status><Status>Suspended</Status></VersioningConfiguration>",
        b"<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Off</MfaDelete></VersioningConfiguration>",
        b"<Versioning><Status>Enabled</Status></Versioning>",
    ],
)
def test_a_versioning_body_moto_would_store_or_404_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedXML):
        xmlcheck.check(body, "PUT", {"versioning"})
