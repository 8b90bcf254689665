"""Who a write is made by, as the bucket's history records it.

The S3 app sets :data:`current_actor` once per request from what it authenticated
(the access key whose signature it checked); a write reads it when it joins the commit
queue (in the writer's own thread: the batch may be committed by another thread).
Nothing else decides anything from it: it is a label in the history, never a permission.
"""

from __future__ import annotations

import contextvars

current_actor: contextvars.ContextVar[str | None] = contextvars.ContextVar("forge_actor", default=None)
"""The current request's actor: ``key:<access key>`` (signature checked), ``claimed:<access
key>`` (a server that checks no signatures: the key the client named, unverified),
``anonymous`` (unsigned), or ``None`` (a local command: ``import``, a test)."""
