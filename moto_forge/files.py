"""Small files written once and shared by processes that start together."""

from __future__ import annotations

import os
import threading


def write_private(path: str, data: bytes, *, replace: bool = False, durable: bool = True) -> None:
    """Create ``path`` (0600) holding ``data`` (synced unless ``durable`` is false), unless it
    exists: several processes starting at once (``serve --workers``) all end up with the one
    file the first made.  ``replace``: replace an existing file (atomically) instead."""
    temp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    if replace:
        os.replace(temp, path)
        return
    try:
        os.link(temp, path)  # atomic, and refuses to replace: whoever linked first wins
    except FileExistsError:
        pass
    finally:
        os.unlink(temp)
