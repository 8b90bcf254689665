"""The supervisor of ``serve --workers N``, in a fresh interpreter that holds none of the
server's code.

The process ``moto-forge serve`` started has imported the command line, moto and the
whole server (~85 MiB resident) by the time it knows it will only supervise.  Forked
from it, each worker would start with all of that, and the supervisor would keep it
for its whole life while doing nothing with it.  So, once the shared state is made
(identities, the listening socket), that process becomes this module by ``exec``: the
same PID, signals and standard streams, a few MiB of interpreter.  Its workers are
forked from here and import the server themselves (:func:`run_worker`).

What crosses the ``exec``: the listening socket and an unlinked temporary file (mode
0600) holding the server configuration as JSON (it holds secret keys, so never the
command line or the environment), both as inherited file descriptors named on the
command line of ``python -c``.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from collections.abc import Sequence
from typing import NoReturn

from moto_forge import workers

_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from moto_forge.supervisor import main; main(sys.argv[2:])"


def become_supervisor(listening: socket.socket, config_json: str, count: int) -> NoReturn:
    """Replace this process with a supervisor of ``count`` workers serving ``listening``
    with the configuration ``config_json`` (``moto_forge.server.config_to_json``)."""
    held = tempfile.TemporaryFile()  # noqa: SIM115  # its descriptor outlives this process image
    held.write(config_json.encode())
    held.flush()
    held.seek(0)
    os.set_inheritable(held.fileno(), True)
    os.set_inheritable(listening.fileno(), True)
    sys.stdout.flush()
    sys.stderr.flush()
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(workers.__file__)))
    argv = [sys.executable, "-c", _BOOT, package_root, str(listening.fileno()), str(held.fileno()), str(count)]
    os.execv(sys.executable, argv)


def main(argv: Sequence[str]) -> NoReturn:
    """``LISTEN_FD CONFIG_FD COUNT``: read the configuration, then supervise the workers
    (:func:`moto_forge.workers.supervise`) until they have stopped."""
    listen_fd, config_fd, count = (int(arg) for arg in argv)
    with os.fdopen(config_fd, "rb") as held:
        config_json = held.read().decode()
    listening = socket.socket(fileno=listen_fd)

    def run_worker(index: int, sock: socket.socket, load: workers.ConnectionLoad) -> None:
        from moto_forge.server import serve_worker  # imported in the worker, never here

        serve_worker(config_json, index, sock, load)

    sys.exit(workers.supervise(listening, count, run_worker))
