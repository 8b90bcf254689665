"""Restores in progress, as moto's state manager models them (``s3::keyrestore``).

A restored object's ``rs`` attribute is stored at once (the restore is durable); what is
kept here, in memory, is only its *progress* as a moto user can script it with
``state_manager.set_transition("s3::keyrestore", ...)``: each read of the object ticks
it, a read while it is ``IN_PROGRESS`` shows ``ongoing-request="true"``, and the read that
sees it ``RESTORED`` sends the ObjectRestore:Completed notification.  After a restart a
restore is simply complete.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from moto.moto_api._internal.managed_state_model import ManagedState

KeyId = tuple[str, str, str | None]
"""(bucket, key, version id or ``None`` in a never-versioned bucket)."""
MAX_TRACKED = 10_000
"""Restores followed at most (the oldest is dropped, as if complete)."""

_lock = threading.Lock()
_tracked: OrderedDict[KeyId, tuple[ManagedState, Callable[[], None]]] = OrderedDict()


def begin(key: KeyId, on_completed: Callable[[], None]) -> None:
    """Follow a restore of ``key`` just requested; ``on_completed`` runs once, at completion."""
    state = ManagedState("s3::keyrestore", transitions=[(None, "IN_PROGRESS"), ("IN_PROGRESS", "RESTORED")])
    with _lock:
        _tracked[key] = (state, on_completed)
        _tracked.move_to_end(key)
        while len(_tracked) > MAX_TRACKED:
            _tracked.popitem(last=False)


def read(key: KeyId) -> str | None:
    """Tick ``key``'s restore (one read of the object) and return its status: ``IN_PROGRESS``,
    ``RESTORED`` (reported once, then forgotten), or ``None`` when none is followed."""
    with _lock:
        found = _tracked.get(key)
        if found is None:
            return None
        state, on_completed = found
        state.advance()
        status = state.status
        if status == "RESTORED":
            del _tracked[key]
    if status == "RESTORED":
        on_completed()
    return status


def clear() -> None:
    """Forget every restore in progress (moto's reset)."""
    with _lock:
        _tracked.clear()
