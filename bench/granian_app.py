"""``moto-forge serve``'s application under granian (Rust HTTP, several worker processes):
the server stack ``bench/peers.py`` measures beside ``serve`` (Step 12: the candidates
for a production server stack, measured in the same run).

Each granian worker imports this module and builds the application ``serve`` builds for
one worker (signatures checked, no console, no access log) on the data dir in
``MOTO_FORGE_BENCH_DATA``.  Bench only: ``serve`` stays on its own handler
(``moto_forge/serving.py``), and the README says why.
"""

from __future__ import annotations

import os

from bench.peers import ACCESS, SECRET
from moto_forge.compose import compose
from moto_forge.process_memory import limit_malloc_arenas
from moto_forge.s3 import registration
from moto_forge.server import ServerConfig, wsgi_app

limit_malloc_arenas()
_config = ServerConfig(
    data_dir=os.environ["MOTO_FORGE_BENCH_DATA"], credentials={ACCESS: SECRET}, quiet=True, console=False
)
_s3 = compose(_config)
registration.install(_s3.backends)
app = wsgi_app(_config, _s3)
