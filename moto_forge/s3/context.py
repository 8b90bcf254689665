"""The current request's headers, for backend code moto calls without them."""

from __future__ import annotations

import contextvars

request_headers: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("forge_request_headers")
"""The headers of the request being served (set by :class:`~moto_forge.s3.app.S3App`)."""
