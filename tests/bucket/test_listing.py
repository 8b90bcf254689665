"""Pure listing logic against a naive model of S3's ListObjects."""

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moto_forge.bucket.listing import decode_token, encode_token, list_page
from moto_forge.errors import InvalidArgument
from moto_forge.ipld.cid import CID, RAW

VALUE = CID.compute(RAW, b"v")
keys = st.lists(st.text(alphabet="ab/é", min_size=1, max_size=6), unique=True, max_size=40)


def source_of(items: list[str]):  # type: ignore[no-untyped-def]
    encoded = sorted(k.encode() for k in items)

    def source(start: bytes | None, inclusive: bool) -> Iterator[tuple[bytes, CID]]:
        for k in encoded:
            if start is None or k > start or (inclusive and k == start):
                yield k, VALUE

    return source


def model(items: list[str], prefix: str, delimiter: str) -> list[tuple[str, str]]:
    """Every (kind, name) S3 returns over all pages, in order."""
    out: list[tuple[str, str]] = []
    for k in sorted(items, key=str.encode):
        if not k.startswith(prefix):
            continue
        rest = k[len(prefix) :]
        if delimiter and delimiter in rest:
            cp = prefix + rest[: rest.index(delimiter) + len(delimiter)]
            if ("prefix", cp) not in out:
                out.append(("prefix", cp))
        else:
            out.append(("key", k))
    return out


@given(keys, st.sampled_from(["", "a", "a/", "b"]), st.sampled_from(["", "/", "b"]), st.integers(1, 5))
def test_paging_never_repeats_or_skips(items: list[str], prefix: str, delimiter: str, max_keys: int) -> None:
    source = source_of(items)
    got: list[tuple[str, str]] = []
    token = ""
    for _ in range(100):
        page = list_page(source, prefix, delimiter, decode_token(token) if token else "", max_keys)
        assert len(page.entries) + len(page.prefixes) <= max_keys
        merged = [("key", k) for k, _ in page.entries] + [("prefix", p) for p in page.prefixes]
        got += sorted(merged, key=lambda kv: kv[1].encode())
        if not page.truncated:
            break
        assert page.last is not None
        token = encode_token(page.last)
    assert got == model(items, prefix, delimiter)


def test_max_keys_zero_and_bad_token() -> None:
    page = list_page(source_of(["a", "b"]), max_keys=0)
    assert page.entries == [] and not page.truncated
    with pytest.raises(InvalidArgument):
        decode_token("not a token!")
    with pytest.raises(InvalidArgument):
        decode_token(encode_token("x")[1:])
