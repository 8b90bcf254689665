"""``serve --workers N``: N worker processes accepting on one listening socket.

The supervisor (the process ``moto-forge serve`` started) binds and listens, then forks
the workers *before* anything opens the store: each worker builds its own application
(its own registry connections, blob store handles and caches) and serves connections
from the shared socket, which is non-blocking so a worker that loses the race for a
connection goes back to waiting.  Several processes on one data dir are safe by design:
every commit is a compare-and-swap in the registry, group commit batches within a
process, and caches hold only content-addressed values or are revalidated by root.

The supervisor forwards SIGTERM / SIGINT (stop) and SIGHUP (reload the tenants file) to
the workers, and starts a worker again if one dies on its own (at most once a second).
A worker dies with the supervisor (``PR_SET_PDEATHSIG``), so a SIGKILLed server leaves
no workers behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable

log = logging.getLogger("moto_forge.workers")

PR_SET_PDEATHSIG = 1
RESPAWN_SECONDS = 1.0


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


def supervise(sock: socket.socket, workers: int, run_worker: Callable[[int, socket.socket], None]) -> int:
    """Fork ``workers`` processes that each run ``run_worker(index, sock)``; return (0) once
    they have all stopped after a SIGTERM or SIGINT to this process."""
    children: dict[int, int] = {}
    stopping = False
    supervisor = os.getpid()

    def spawn(index: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    signal.signal(sig, signal.SIG_DFL)
                _die_with_parent()
                if os.getppid() != supervisor:  # the supervisor died before the line above
                    os._exit(1)
                run_worker(index, sock)
            except KeyboardInterrupt:
                pass
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stderr.flush()
                os._exit(code)
        children[pid] = index

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            _signal(pid, signal.SIGTERM)

    def reload(signum: int, _frame: object) -> None:
        for pid in list(children):
            _signal(pid, signal.SIGHUP)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, reload)
    for index in range(workers):
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
        last_spawn[index] = time.monotonic()
        spawn(index)
    return 0


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit {os.WEXITSTATUS(status)}"
