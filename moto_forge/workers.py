"""``serve --workers N``: N worker processes accepting on one listening socket.

The supervisor (the process ``moto-forge serve`` started, once it has bound and listened
and become :mod:`moto_forge.supervisor` by ``exec``) forks the workers; nothing in it has
opened the store, and each worker imports the server and builds its own application
(its own registry connections, blob store handles and caches) and serves connections
from the shared socket, which is non-blocking so a worker that loses the race for a
connection goes back to waiting.  Several processes on one data dir are safe by design:
every commit is a compare-and-swap in the registry, group commit batches within a
process, and caches hold only content-addressed values or are revalidated by root.

Connections are spread by load: a worker that holds more open connections than the least
loaded one (counts in memory the supervisor shares with the workers it forks,
:class:`ConnectionLoad`) waits :data:`HANDOFF_SECONDS` per connection of difference before
it tries to accept, so the other workers, woken by the same readiness, take the
connection first.  Without it the first worker to wake takes most of a client's
keep-alive connections (6 of 8 measured), and one process's GIL serves them all while the
other core idles.

The supervisor forwards SIGTERM / SIGINT (stop) and SIGHUP (reload the tenants file) to
the workers, and starts a worker again if one dies on its own (at most once a second).
A worker dies with the supervisor (``PR_SET_PDEATHSIG``), so a SIGKILLed server leaves
no workers behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import mmap
import os
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable

log = logging.getLogger("moto_forge.workers")

PR_SET_PDEATHSIG = 1
RESPAWN_SECONDS = 1.0
HANDOFF_SECONDS = 0.002
"""How long a worker waits, per open connection it holds beyond the least loaded worker's,
before it tries to accept a new one (at most :data:`MAX_HANDOFF_WAITS` of them)."""
MAX_HANDOFF_WAITS = 4


NOT_READY = -1
"""A worker's counter until it serves: it is still importing and building its application."""


class ConnectionLoad:
    """Open connections of each worker: one 8-byte counter per worker in an anonymous shared
    mapping made before the workers are forked.  Each worker writes only its own counter
    (under a lock shared by its threads) and reads the others'; a stale read only makes a
    connection go to a worker a little more loaded than the least.  A worker still starting
    (:data:`NOT_READY`) is not counted as the least loaded, so connections opened while one
    worker starts are not held back for it."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._shared = mmap.mmap(-1, 8 * workers)
        for index in range(workers):
            self._store(index, NOT_READY)
        self.index = -1
        self._lock = threading.Lock()

    def bind(self, index: int) -> None:
        """Count for worker ``index`` from now on (in that worker, after the fork): not ready
        until :meth:`ready`."""
        self.index = index
        self._lock = threading.Lock()
        self._store(index, NOT_READY)

    def ready(self) -> None:
        """This worker accepts connections from now on (it begins with none)."""
        with self._lock:
            self._store(self.index, 0)

    def _load(self, index: int) -> int:
        return int(struct.unpack_from("q", self._shared, 8 * index)[0])

    def _store(self, index: int, value: int) -> None:
        struct.pack_into("q", self._shared, 8 * index, value)

    def opened(self) -> None:
        with self._lock:
            self._store(self.index, max(0, self._load(self.index)) + 1)

    def closed(self) -> None:
        with self._lock:
            self._store(self.index, max(0, self._load(self.index) - 1))

    def excess(self) -> int:
        """How many more connections this worker holds than the least loaded ready worker
        (0 while it is the only one ready)."""
        own = max(0, self._load(self.index))
        others = (self._load(i) for i in range(self.workers) if i != self.index)
        return own - min([own, *(load for load in others if load != NOT_READY)])

    def wait_turn(self) -> None:
        """Before accepting: wait :data:`HANDOFF_SECONDS` per connection this worker holds
        beyond the least loaded one (at most :data:`MAX_HANDOFF_WAITS`), so that another
        worker woken by the same readiness takes the connection first."""
        excess = self.excess()
        if excess > 0:
            time.sleep(min(excess, MAX_HANDOFF_WAITS) * HANDOFF_SECONDS)


def listen(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """The shared listening socket (non-blocking: see the module doc)."""
    sock = socket.create_server((host, port), backlog=backlog, reuse_port=False)
    sock.setblocking(False)
    return sock


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this process when its parent (the supervisor) dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the worker outlives a killed supervisor
        pass


def supervise(
    sock: socket.socket, workers: int, run_worker: Callable[[int, socket.socket, ConnectionLoad], None]
) -> int:
    """Fork ``workers`` processes that each run ``run_worker(index, sock, load)`` (``load``
    bound to that worker); return (0) once they have all stopped after a SIGTERM or SIGINT
    to this process."""
    children: dict[int, int] = {}
    load = ConnectionLoad(workers)
    stopping = False
    supervisor = os.getpid()

    def spawn(index: int) -> None:
        """Fork worker ``index`` with the stop and reload signals blocked until the parent
        has it in ``children`` and the child has its own handlers: a SIGTERM arriving in
        between used to reach a worker the parent did not know yet (never stopped), or run
        the parent's handler in the child (swallowed), and the server never exited.

        A stop whose handler runs inside the blocking call itself (the signal came just
        before it; ``pthread_sigmask`` runs pending handlers on return) has already
        signalled the workers forked so far, so nothing is forked then.  Once the call has
        returned, no handler of these signals can run until they are unblocked."""
        signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
        if stopped():
            signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
            return
        try:
            pid = os.fork()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
            raise
        if pid == 0:
            code = 0
            try:
                for sig in FORWARDED:
                    signal.signal(sig, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)  # a pending stop ends it here
                _die_with_parent()
                if os.getppid() != supervisor:  # the supervisor died before the line above
                    os._exit(1)
                load.bind(index)
                run_worker(index, sock, load)
            except KeyboardInterrupt:
                pass
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stderr.flush()
                os._exit(code)
        children[pid] = index
        signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)  # a stop that came meanwhile runs now

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            _signal(pid, signal.SIGTERM)

    def stopped() -> bool:
        """Whether a stop came (read anew: the signal handler sets it at any moment)."""
        return stopping

    def reload(signum: int, _frame: object) -> None:
        for pid in list(children):
            _signal(pid, signal.SIGHUP)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, reload)
    for index in range(workers):
        if stopped():  # stopped while the first ones started: start no more
            break
        spawn(index)
    last_spawn: dict[int, float] = {}
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid not in children:
            continue
        index = children.pop(pid)
        if stopping:
            continue
        log.warning("worker %d (pid %d) stopped (%s); starting it again", index, pid, _status(status))
        print(f"moto-forge: worker {index} stopped ({_status(status)}); starting it again", file=sys.stderr, flush=True)
        wait = RESPAWN_SECONDS - (time.monotonic() - last_spawn.get(index, 0.0))
        if wait > 0:
            time.sleep(wait)
        if stopped():  # stopped while waiting to start it again
            continue
        last_spawn[index] = time.monotonic()
        spawn(index)
    return 0


FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
"""The signals the supervisor handles and passes on to its workers."""


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit {os.WEXITSTATUS(status)}"
