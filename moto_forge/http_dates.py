"""Dates as HTTP and S3 write them, from whole Unix seconds.

No moto import, so the connection handler can use it.  The formatters are pure; callers
wrap them in caches sized for what they format (many objects share their seconds, while a
``Date`` header changes once a second).
"""

from __future__ import annotations

import functools
import time

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc1123(ts: int) -> str:
    """``ts`` as an RFC 1123 date in GMT (``Date``, ``Last-Modified``), in English whatever
    the process locale."""
    t = time.gmtime(ts)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def iso8601_ms(ts: int) -> str:
    """``ts`` in ISO 8601 with milliseconds, as S3 lists ``LastModified``."""
    t = time.gmtime(ts)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.000Z"


http_date = functools.lru_cache(maxsize=4096)(rfc1123)
""":func:`rfc1123`, remembered for objects' ``Last-Modified`` (objects share their seconds)."""

iso_date = functools.lru_cache(maxsize=4096)(iso8601_ms)
""":func:`iso8601_ms`, remembered as :data:`http_date` is."""
