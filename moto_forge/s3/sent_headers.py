"""The request headers as sent, looked up without an exception per missing name.

werkzeug's :class:`~werkzeug.datastructures.Headers` answers ``get`` and ``in`` for a
name that is not there by raising and catching ``BadRequestKeyError``, an HTTP exception
that builds a description each time.  A request asks for a dozen headers it does not
carry (``Origin``, ``Range``, the conditional and copy headers...), and those exceptions
were ~3% of a small GET's CPU.  :class:`SentHeaders` is the same mapping with ``get``
and ``in`` that scan and return.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import Headers


class SentHeaders(Headers):
    """:class:`Headers` whose ``get`` (without ``type``) and ``in`` never raise."""

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # type: ignore[override]
        if type is None and isinstance(key, str):
            wanted = key.lower()
            for name, value in self._list:
                if name.lower() == wanted:
                    return value
            return default
        return super().get(key, default, type)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            wanted = key.lower()
            return any(name.lower() == wanted for name, _ in self._list)
        return super().__contains__(key)  # type: ignore[operator]
