"""The S3 app's request mappings answer as werkzeug's do (moto_forge/s3/request.py)."""

from __future__ import annotations

from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.test import EnvironBuilder

from moto_forge.s3.request import QueryArgs, S3Request, SentHeaders

SENT = [("Host", "h"), ("X-Amz-Date", "20260101T000000Z"), ("x-amz-meta-a", "1"), ("X-Amz-Meta-A", "2")]
NAMES = ["host", "HOST", "x-amz-date", "X-Amz-Meta-A", "Origin", "", "range"]


def test_sent_headers_answer_as_werkzeugs() -> None:
    ours, theirs = SentHeaders(SENT), Headers(SENT)
    for name in NAMES:
        assert ours.get(name) == theirs.get(name)
        assert ours.get(name, "dflt") == theirs.get(name, "dflt")
        assert (name in ours) == (name in theirs)
    assert ours.get("x-amz-meta-a") == "1"  # the first of a repeated header
    assert ours.get("Host", type=str.upper) == "H"
    assert ours.getlist("x-amz-meta-a") == ["1", "2"]


def test_sent_headers_answer_as_werkzeugs_after_every_change() -> None:
    """The index by name is made again after any change, also one that keeps the number of
    fields (a field removed and another added, one replaced in place)."""
    ours, theirs = SentHeaders(SENT), Headers(SENT)
    changes = [
        lambda h: h.set("Host", "other"),
        lambda h: h.remove("X-Amz-Date"),
        lambda h: h.add("Range", "bytes=0-1"),
        lambda h: h.pop("Range"),
        lambda h: h.add("Origin", "o"),
        lambda h: h.__setitem__(0, ("If-Match", '"e"')),
        lambda h: h.setlist("x-amz-meta-a", ["3", "4"]),
        lambda h: h.extend([("range", "bytes=2-3")]),
        lambda h: h.__delitem__("origin"),
        lambda h: h.clear(),
    ]
    for change in changes:
        for name in NAMES:
            ours.get(name)  # an index made before the change
        change(ours)
        change(theirs)
        for name in [*NAMES, "If-Match", "Origin"]:
            assert ours.get(name) == theirs.get(name), (name, list(ours))
            assert (name in ours) == (name in theirs)


def test_query_args_answer_as_werkzeugs() -> None:
    pairs = [("versionId", "v1"), ("partNumber", "3"), ("partNumber", "4"), ("uploads", "")]
    ours, theirs = QueryArgs(pairs), ImmutableMultiDict(pairs)
    for key in ("versionId", "partNumber", "uploads", "missing", "VERSIONID"):
        assert ours.get(key) == theirs.get(key)
        assert ours.get(key, "dflt") == theirs.get(key, "dflt")
    assert ours.get("partNumber", type=int) == 3
    assert ours.get("versionId", type=int) is None


def test_an_s3_request_parses_its_query_into_query_args() -> None:
    request = S3Request(EnvironBuilder(path="/b/k", query_string="versionId=v%201&list-type=2").get_environ())
    assert isinstance(request.args, QueryArgs)
    assert request.args.get("versionId") == "v 1"
    assert request.args.get("absent", "none") == "none"


def test_headers_dict_is_what_dict_gives_in_one_pass() -> None:
    from werkzeug.datastructures import EnvironHeaders, Headers

    from moto_forge.s3.request import SentHeaders, headers_dict

    fields = [("Host", "h"), ("X-Amz-Meta-A", "1"), ("x-amz-meta-a", "2"), ("X-AMZ-META-A", "3"), ("Accept", "*/*")]
    for headers in (SentHeaders(fields), Headers(fields)):
        assert headers_dict(headers) == dict(headers)
        assert headers_dict(headers)["x-amz-meta-a"] == "1"  # the first value of the name, in any case
    environ = {"HTTP_HOST": "h", "HTTP_X_AMZ_META_B": "4", "CONTENT_TYPE": "text/plain"}
    assert headers_dict(EnvironHeaders(environ)) == dict(EnvironHeaders(environ))
