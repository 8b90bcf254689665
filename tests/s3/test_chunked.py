import contextlib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moto_forge.errors import IncompleteBody, InvalidRequest
from moto_forge.s3.chunked import AwsChunkedReader


def frame(data: bytes, sizes: list[int], trailers: str = "") -> bytes:
    out, pos = b"", 0
    for size in sizes:
        out += f"{size:x}\r\n".encode() + data[pos : pos + size] + b"\r\n"
        pos += size
    return out + b"0\r\n" + trailers.encode() + b"\r\n"


@given(st.binary(max_size=5000), st.data(), st.integers(1, 700))
def test_decodes_any_chunking(data: bytes, draw: st.DataObject, read_size: int) -> None:
    sizes: list[int] = []
    left = len(data)
    while left:
        size = draw.draw(st.integers(1, left))
        sizes.append(size)
        left -= size
    reader = AwsChunkedReader(io.BytesIO(frame(data, sizes, "x-amz-checksum-crc32:AAAAAA==\r\n")), len(data))
    out = b""
    while True:
        piece = reader.read(read_size)
        if not piece:
            break
        out += piece
    assert out == data
    assert reader.trailers == {"x-amz-checksum-crc32": "AAAAAA=="}


@pytest.mark.parametrize(
    ("raw", "length", "error"),
    [
        (b"5\r\nhel", 5, IncompleteBody),
        (b"5\r\nhello\r\n", 5, IncompleteBody),
        (b"5\r\nhello\r\n0\r\n\r\n", 6, IncompleteBody),
        (b"5\r\nhelloXY0\r\n\r\n", 5, InvalidRequest),
        (b"zz\r\n", 5, InvalidRequest),
        (b"5;foo=bar\r\nhello\r\n0\r\n\r\n", 5, InvalidRequest),
        (b"7" * 5000 + b"\r\n", 5, InvalidRequest),
        (b"ffffffff\r\n", 5, InvalidRequest),
    ],
)
def test_malformed_bodies(raw: bytes, length: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        AwsChunkedReader(io.BytesIO(raw), length).read()


@given(st.binary(max_size=300))
def test_garbage_raises_only_s3_errors(raw: bytes) -> None:
    with contextlib.suppress(IncompleteBody, InvalidRequest):
        AwsChunkedReader(io.BytesIO(raw), None).read()
