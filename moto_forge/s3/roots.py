"""``x-forge-root``: the one mechanism that carries bucket roots in and out of a request.

In: a read may name the root it reads "as of" (the ``x-forge-root`` header, or the
``forge-root`` query parameter of a SigV4-presigned URL); :class:`S3App` parses it once
into :data:`read_root`.  Out: whatever serves the request (s3/objects.py, s3/listing.py,
s3/backend.py) sets :data:`response_root` to the root the response reflects (the root a
read was served from, the new root a write made), and :class:`S3App` alone turns it into
the response header.  Both are reset around every request.
"""

from __future__ import annotations

import contextvars

from moto_forge.ipld.cid import CID

ROOT_HEADER = "x-forge-root"
"""Sent with every read (the bucket root it was served from) and write (the new root)."""
ROOT_QUERY = "forge-root"
"""The query form of :data:`ROOT_HEADER` on a read (a presigned URL signs it with SigV4)."""

read_root: contextvars.ContextVar[CID | None] = contextvars.ContextVar("forge_read_root", default=None)
"""The snapshot root a request reads "as of", if it named one."""
response_root: contextvars.ContextVar[CID | None] = contextvars.ContextVar("forge_response_root", default=None)
"""The bucket root the response reflects (sent back as ``x-forge-root``), if any."""
