"""ListObjects pages over an ordered key stream (pure: no storage, no HTTP).

Rules (S3's): keys come in byte order; with a delimiter, keys that share
``prefix + ... + delimiter`` roll up into one common prefix, which counts as
one entry toward ``max_keys``; a common prefix is returned only if it sorts
after the start key, so passing back the last key or prefix of a page
(``NextMarker``, or the V2 continuation token) never repeats or skips one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from moto_forge.errors import InvalidArgument
from moto_forge.ipld.cid import CID

PAST_PREFIX = b"\xff"
"""Appended to a prefix, sorts after every UTF-8 key that starts with it (0xff never occurs in UTF-8)."""

TOKEN_VERSION = b"\x01"

V = TypeVar("V")

ItemSource = Callable[[bytes | None, bool], Iterator[tuple[bytes, V]]]
"""``source(start, inclusive)`` yields ``(key, value)`` in byte order from ``start``."""


@dataclass(slots=True)
class ListPage(Generic[V]):
    entries: list[tuple[str, V]] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    last: str | None = None
    """The last key or common prefix returned: the next page starts after it."""
    root: CID | None = None
    """The bucket root the page lists, when the caller knows it."""


def encode_token(last: str) -> str:
    """Opaque continuation token for the page after ``last``."""
    return base64.urlsafe_b64encode(TOKEN_VERSION + last.encode("utf-8")).decode("ascii")


def decode_token(token: str) -> str:
    """Inverse of :func:`encode_token`; :class:`InvalidArgument` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii") + b"==")
        if not raw.startswith(TOKEN_VERSION):
            raise ValueError("unknown token version")
        return raw[1:].decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidArgument(
            "The continuation token provided is incorrect", ArgumentName="continuation-token"
        ) from exc


def list_page(
    source: ItemSource[V], prefix: str = "", delimiter: str = "", start_after: str = "", max_keys: int = 1000
) -> ListPage[V]:
    """One page of keys and common prefixes (see the module rules)."""
    page: ListPage[V] = ListPage()
    if max_keys <= 0:
        return page
    pb, db, sb = prefix.encode(), delimiter.encode(), start_after.encode()
    if sb and sb >= pb:
        start, inclusive = sb, False
    else:
        start, inclusive = pb, True
    count = 0
    while True:
        restart: bytes | None = None
        for key, value in source(start or None, inclusive):
            if not key.startswith(pb):
                return page
            rolled = None
            if db:
                at = key.find(db, len(pb))
                if at >= 0:
                    rolled = key[: at + len(db)]
            if rolled is None:
                if count == max_keys:
                    page.truncated = True
                    return page
                text = key.decode("utf-8")
                page.entries.append((text, value))
                page.last = text
                count += 1
                continue
            if rolled > sb:
                if count == max_keys:
                    page.truncated = True
                    return page
                text = rolled.decode("utf-8")
                page.prefixes.append(text)
                page.last = text
                count += 1
            restart = rolled + PAST_PREFIX
            break
        if restart is None:
            return page
        start, inclusive = restart, True
