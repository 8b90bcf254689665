import pytest

from moto_forge.errors import InvalidRange
from moto_forge.s3.objects import parse_range, parse_tagging


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-0", 10, (0, 1)),
        ("bytes=2-5", 10, (2, 6)),
        ("bytes=5-", 10, (5, 10)),
        ("bytes=-3", 10, (7, 10)),
        ("bytes=-30", 10, (0, 10)),
        ("bytes=8-100", 10, (8, 10)),
        ("bytes=0-1,4-5", 10, None),  # multiple ranges: S3 answers with the whole object
        ("bytes=abc", 10, None),
        ("items=0-1", 10, None),
        ("bytes=5-2", 10, None),
    ],
)
def test_parse_range(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=10-20", "bytes=-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(InvalidRange):
        parse_range(header, 10)


def test_parse_tagging() -> None:
    assert parse_tagging("a=1&b=two%20words&empty=") == {"a": "1", "b": "two words", "empty": ""}
    assert parse_tagging(None) == {}
