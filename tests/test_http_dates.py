"""The date formatters against the standard library's, across years, months and weekdays."""

from __future__ import annotations

import datetime
import email.utils
import random

from moto_forge.http_dates import http_date, iso8601_ms, iso_date, rfc1123

_SAMPLES = [0, 1, 951782400, 1709164799, 4102444800] + random.Random(7).sample(range(0, 4102444800), 500)


def test_rfc1123_matches_the_email_package() -> None:
    for ts in _SAMPLES:
        assert rfc1123(ts) == email.utils.formatdate(ts, usegmt=True), ts


def test_iso8601_ms_matches_datetime() -> None:
    for ts in _SAMPLES:
        expected = datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        assert iso8601_ms(ts) == expected, ts


def test_cached_forms_give_the_same_text() -> None:
    assert http_date(1709164799) == "Wed, 28 Feb 2024 23:59:59 GMT"
    assert iso_date(1709164800) == "2024-02-29T00:00:00.000Z"
