"""Checks XML request bodies before moto parses them, so malformed input gets
S3's ``MalformedXML`` (400) instead of an exception inside moto's parser."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from moto_forge.errors import MalformedXML

MAX_XML_BODY = 2 << 20
"""Largest XML body accepted (a 1 000-key DeleteObjects is ~100 KiB)."""

XML_SUBRESOURCES = {
    "delete", "uploadId", "tagging", "acl", "cors", "lifecycle", "versioning", "website", "notification",
    "logging", "encryption", "replication", "publicAccessBlock", "ownershipControls", "object-lock",
    "accelerate", "inventory", "intelligent-tiering", "retention", "legal-hold", "restore", "select",
}  # fmt: skip
"""Subresources whose request bodies are XML (``policy`` is JSON)."""
VERSIONING_VALUES = {"Status": frozenset({"Enabled", "Suspended"}), "MfaDelete": frozenset({"Enabled", "Disabled"})}
"""What a PutBucketVersioning body may set, exactly (``Status`` is required).  moto stored
any letters (a bucket then answered ``<Status>Maybe</Status>`` and versioned nothing), and
answered a body without a ``<Status>`` it could match (none, or one with spaces) with a
bare 404."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def _text(element: ET.Element, name: str, what: str) -> str:
    found = _children(element, name)
    if len(found) != 1 or found[0].text is None:
        raise MalformedXML(f"The XML you provided was not well-formed or did not validate: {what} needs one {name}")
    return found[0].text


def parse(body: bytes) -> ET.Element:
    if len(body) > MAX_XML_BODY:
        raise MalformedXML(f"The XML body is larger than {MAX_XML_BODY} bytes")
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise MalformedXML(f"The XML you provided was not well-formed or did not validate: {exc}") from exc


def check(body: bytes, method: str, subresources: set[str]) -> None:
    """Raise :class:`MalformedXML` unless ``body`` is the XML the operation takes."""
    if not body.strip():
        if method == "POST" and subresources & {"delete", "uploadId"}:
            raise MalformedXML(
                "The XML you provided was not well-formed or did not validate against our published schema"
            )
        return
    root = parse(body)
    name = _local(root.tag)
    if method == "POST" and "delete" in subresources:
        objects = _children(root, "Object")
        if name != "Delete" or not 1 <= len(objects) <= 1000:
            raise MalformedXML("DeleteObjects takes <Delete> with 1 to 1000 <Object> elements")
        for obj in objects:
            _text(obj, "Key", "Object")
    elif method == "POST" and "uploadId" in subresources:
        parts = _children(root, "Part")
        if name != "CompleteMultipartUpload" or not parts:
            raise MalformedXML(
                "The XML you provided was not well-formed or did not validate against our published schema"
            )
        for part in parts:
            number = _text(part, "PartNumber", "Part")
            _text(part, "ETag", "Part")
            if not number.strip().isdigit():
                raise MalformedXML(f"PartNumber {number!r} is not a number")
    elif method == "PUT" and "tagging" in subresources:
        tag_sets = _children(root, "TagSet")
        if name != "Tagging" or len(tag_sets) != 1:
            raise MalformedXML("Tagging takes <Tagging><TagSet>...</TagSet></Tagging>")
        for tag in _children(tag_sets[0], "Tag"):
            _text(tag, "Key", "Tag")
            if len(_children(tag, "Value")) != 1:  # empty values are allowed, as in S3
                raise MalformedXML("The XML you provided was not well-formed or did not validate: Tag needs one Value")
    elif method == "PUT" and "versioning" in subresources:
        if name != "VersioningConfiguration":
            raise MalformedXML("PutBucketVersioning takes <VersioningConfiguration>")
        for element, allowed in VERSIONING_VALUES.items():
            found = _children(root, element)
            if len(found) > 1 or (found and found[0].text not in allowed) or (element == "Status" and not found):
                raise MalformedXML(f"VersioningConfiguration needs one {element}: {' or '.join(sorted(allowed))}")
