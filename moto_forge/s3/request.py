"""The request as the S3 app reads it: werkzeug's, with lookups that do not raise.

werkzeug's :class:`~werkzeug.datastructures.Headers` and its query
:class:`~werkzeug.datastructures.MultiDict` answer ``get`` (and the headers ``in``) for
a name that is not there by raising and catching ``BadRequestKeyError``, an HTTP
exception that builds a description each time.  A request asks for a dozen headers and
query parameters it does not carry (``Origin``, ``Range``, the conditional and copy
headers, ``versionId``, ``partNumber``...), and those exceptions were ~4% of a small
GET's CPU.  :class:`SentHeaders` and :class:`QueryArgs` are the same mappings, whose
``get`` and ``in`` look and return.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.wrappers import Request


class SentHeaders(Headers):
    """:class:`Headers` whose ``get`` (without ``type``) and ``in`` never raise, and answer
    from an index by lower-cased name (each name's first value), made on first use and made
    again whenever the fields are no longer the ones it was made from (any change through
    :class:`Headers`' own methods)."""

    _index: dict[str, str] | None = None
    _indexed: list[tuple[str, str]] | None = None

    def _by_name(self) -> dict[str, str]:
        index = self._index
        if index is None or self._indexed != self._list:  # same field objects: a quick compare
            index = {}
            for name, value in self._list:
                index.setdefault(name.lower(), value)
            self._index, self._indexed = index, list(self._list)
        return index

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # type: ignore[override]
        if type is None and isinstance(key, str):
            return self._by_name().get(key.lower(), default)
        return super().get(key, default, type)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            return key.lower() in self._by_name()
        return super().__contains__(key)  # type: ignore[operator]


def headers_dict(headers: Headers) -> dict[str, str]:
    """What ``dict(headers)`` gives (each name as sent, with the first value of its name in
    any case), in one pass instead of a case-insensitive lookup per name."""
    out: dict[str, str] = {}
    first: dict[str, str] = {}
    for name, value in headers.items():
        out[name] = first.setdefault(name.lower(), value)
    return out


class QueryArgs(ImmutableMultiDict[str, str]):
    """The query parameters: :class:`ImmutableMultiDict` whose ``get`` (without ``type``)
    never raises."""

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # type: ignore[override]
        if type is None:
            values = dict.get(self, key)
            return values[0] if values else default
        return super().get(key, default, type)


class S3Request(Request):
    """werkzeug's request, its query parameters a :class:`QueryArgs` (its headers are made
    a :class:`SentHeaders` by the app, from the headers as sent)."""

    parameter_storage_class = QueryArgs
