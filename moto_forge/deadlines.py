"""Deadlines on connections: a connection still armed when its deadline passes is shut
down (both directions, or its reading side alone), so the thread blocked reading it sees
the end of the stream.

The request handler (:class:`moto_forge.serving.KeepAliveHandler`) arms a connection when
a request's first byte arrives and disarms it once the request's head is read: a client
that sends its head a byte at a time, each byte within the idle timeout, no longer holds
its thread (and a place under the server's connection cap) for as long as it likes.  A
per-read timeout cannot bound that; a deadline on the whole head can.  While it reads a
request body, it keeps the connection armed with a deadline that moves on as bytes come
(a minimum rate), shutting down only the reading side, so the thread can still answer.

One daemon thread per :class:`Deadlines` checks them :data:`TICK` times a second at most,
started with the first deadline armed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

TICK = 0.25
"""Seconds between two checks (a deadline is enforced at most this late)."""


class Deadlines:
    """Connections and the monotonic time by which each must be disarmed (thread-safe)."""

    def __init__(self) -> None:
        self._due: dict[socket.socket, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.expired = 0
        """How many connections were shut down for a passed deadline (for tests and logs)."""

    def arm(self, sock: socket.socket, seconds: float) -> None:
        """``sock`` is shut down unless :meth:`disarm` comes within ``seconds`` (an armed
        ``sock`` gets the new deadline)."""
        self.arm_until(sock, time.monotonic() + seconds)

    def arm_until(self, sock: socket.socket, due: float, how: int = socket.SHUT_RDWR) -> None:
        """``sock`` is shut down (``how``: both directions, or ``socket.SHUT_RD``) unless
        :meth:`disarm` comes before the monotonic time ``due`` (an armed ``sock`` gets the
        new deadline)."""
        with self._lock:
            self._due[sock] = (due, how)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="deadlines", daemon=True)
                self._thread.start()

    def disarm(self, sock: socket.socket) -> None:
        """Forget ``sock``'s deadline (nothing if it has none)."""
        with self._lock:
            self._due.pop(sock, None)

    def expire(self, now: float) -> int:
        """Shut down the connections whose deadline is before ``now`` and forget them; return
        how many.  Done under the lock :meth:`disarm` takes, so a handler that disarms before
        it closes its connection never has a reused descriptor shut down under it."""
        with self._lock:
            late = [(sock, how) for sock, (due, how) in self._due.items() if due <= now]
            for sock, how in late:
                del self._due[sock]
                with contextlib.suppress(OSError):  # the client already went away
                    sock.shutdown(how)
            self.expired += len(late)
        return len(late)

    def _watch(self) -> None:
        while True:
            time.sleep(TICK)
            self.expire(time.monotonic())
