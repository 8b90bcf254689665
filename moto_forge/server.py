"""Running the server: a threaded werkzeug server, like ``moto_server``, whose handler keeps
connections open (:mod:`moto_forge.serving`), serving S3 from the Forge store and every
other service from moto (:mod:`moto_forge.services`)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import signal
import socket
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from moto_forge import workers
from moto_forge.access_log import AccessLog
from moto_forge.compose import compose, tenant_identities
from moto_forge.config import legacy_bucket_names_from_env
from moto_forge.console import ConsoleApp
from moto_forge.console.app import ForgeInfo
from moto_forge.forge.identity import Identity
from moto_forge.process_memory import limit_malloc_arenas
from moto_forge.s3 import registration
from moto_forge.s3.app import S3App
from moto_forge.services import ServiceRouter
from moto_forge.serving import MAX_CONNECTIONS, BalancedServer, KeepAliveHandler
from moto_forge.supervisor import become_supervisor
from moto_forge.tenants import Tenant

log = logging.getLogger("moto_forge.server")


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 5000
    data_dir: str = ""
    registry_url: str | None = None
    credentials: dict[str, str] = field(default_factory=dict)
    """access key -> secret key of the server's own space (the default tenant)."""
    tenants: tuple[Tenant, ...] = ()
    """Further access keys, each bound to a space of its own (see :mod:`moto_forge.tenants`).
    No credentials and no tenants = signatures are not checked."""
    region: str = "us-east-1"
    quiet: bool = False
    """No access log (one line per request otherwise: :mod:`moto_forge.access_log`)."""
    log_format: str = "text"
    """The access log's lines: ``text`` or ``json``."""
    forge_url: str | None = None
    """A Forge upload service (ucanto over HTTP); every write is stored there before it commits."""
    forge_did: str | None = None
    write_mode: str = "sync"
    """``sync``: a write returns once it is in Forge; ``async``: once it is on local disk (outbox)."""
    forge_claims: str | None = None
    """The indexer's GET /claims URL (default: <forge_url>/claims)."""
    forge_key: str | None = None
    """The did:key the service signs its receipts with (default: what its did:web resolves
    to, :mod:`moto_forge.forge.didweb`)."""
    forge_did_document: str | None = None
    """Where to read the service's did:web document (default: the did:web's own URL)."""
    forge_retrieval_auth: bool = False
    """``space/index/add`` carries a ``retrievalAuth`` fact (a ``space/content/retrieve``
    delegation of the index blob to the service): sprue requires it (``--forge-retrieval-auth``)."""
    forge_no_cache: bool = False
    """Keep no blocks: drop each write's files once it committed, read every block from Forge
    (ranged, checked against its CID): ``moto_forge/blocks/uncached.py``."""
    forge_space: str | None = None
    """The space the server's own buckets go to in Forge (default: its generated space; another
    must have been imported: ``moto-forge space import``)."""
    forge_timeout: float = 30.0
    """Seconds any one network wait on Forge may take before the call fails (sync writes: 503)."""
    allow_reset: bool = False
    """``POST /moto-api/reset`` empties the store too (off by default: the store persists)."""
    tenants_path: str | None = None
    """The tenants file ``tenants`` came from: a server that checks signatures follows its
    changes while running (moto_forge/tenant_keys.py)."""
    console: bool = True
    """Serve the web console at ``/-/console`` (``serve --no-console``: off)."""
    workers: int = 1
    """Worker processes on one listening socket (:mod:`moto_forge.workers`); more than one
    only where moto's other services are not served (they keep their state in one process)."""
    max_connections: int = MAX_CONNECTIONS
    """Connections each server process serves at once (:mod:`moto_forge.serving`)."""
    ship_outbox: bool = True
    """Run the Forge outbox shipper (async mode) in this process (with workers: the first only)."""
    legacy_bucket_names: bool = field(default_factory=legacy_bucket_names_from_env)
    """New buckets may have names only S3's legacy rules allow (``_``, upper case), as moto's
    do (default: ``MOTO_FORGE_LEGACY_BUCKET_NAMES``; :mod:`moto_forge.bucket.names`)."""
    auth_note: str = ""
    """Why signatures are or are not checked, for the start-up line (the CLI says: its
    options, the tenants file it read); empty = said from the configuration alone."""


class _QuietHandler(KeepAliveHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def make(config: ServerConfig, app: S3App | None = None, fd: int | None = None) -> BalancedServer:
    """A bound, threaded server for every service on one port (:mod:`moto_forge.services`;
    port 0 picks a free port: read ``server.port``); ``fd``: serve on that listening socket."""
    server = BalancedServer(config.host, config.port, wsgi_app(config, app or compose(config)), _QuietHandler, fd=fd)
    server.max_connections = config.max_connections
    return server


def wsgi_app(config: ServerConfig, s3: S3App) -> Any:
    """The WSGI application ``serve`` answers every request with: the service router over
    ``s3`` (with the console, and the access log, as ``config`` says)."""
    console = make_console(config, s3) if config.console else None
    router = ServiceRouter(s3, allow_reset=config.allow_reset, other_services=s3.authenticator is None, console=console)
    return router if config.quiet else AccessLog(router, config.log_format)


def make_console(config: ServerConfig, s3: S3App) -> ConsoleApp:
    """The web console beside ``s3`` (moto_forge/console/), told where the data goes."""
    identity = Identity.load_or_create(config.data_dir)
    forge = ForgeInfo(config.forge_url, config.write_mode, identity.space.did)
    # one session key for every worker and restart: derived from the server's agent key
    key = hashlib.sha256(b"moto-forge console sessions\n" + identity.agent.encode().encode()).digest()
    return ConsoleApp(s3, forge, config.region, session_key=key)


def _reload_tenants(app: S3App) -> None:
    """SIGHUP: read the tenants file again (a server that checks no signatures has none to read)."""
    if app.tenant_keys is None:
        log.warning("SIGHUP: this server checks no signatures, so it reads no tenants file; nothing reloaded")
        return
    app.tenant_keys.reload()


def _banner(config: ServerConfig, port: int) -> str:
    if config.auth_note:
        auth = config.auth_note
    elif config.credentials or config.tenants:
        auth = f"SigV4 checked; {len(config.tenants)} tenant(s) besides the server's own space"
    else:
        auth = "signatures NOT checked (no credentials configured)"
    workers = f"; {config.workers} workers" if config.workers > 1 else ""
    console = f"; web console http://{config.host}:{port}/-/console/" if config.console else ""
    return f"moto-forge serving S3 on http://{config.host}:{port} (data {config.data_dir}; {auth}{workers}){console}"


def serve(config: ServerConfig) -> None:
    """Run until interrupted, with the Forge backend installed as moto's S3 backend (the
    process is the server: moto's other services on this port read and write the same S3);
    with ``config.workers`` > 1, this process becomes their supervisor
    (:mod:`moto_forge.supervisor`, :mod:`moto_forge.workers`) and does not return."""
    if config.workers > 1:
        Identity.load_or_create(config.data_dir)  # made once, here, before the workers read them
        tenant_identities(config)
        sock = workers.listen(config.host, config.port)
        port = sock.getsockname()[1]
        print(_banner(config, port), file=sys.stderr, flush=True)
        become_supervisor(sock, config_to_json(config), config.workers)
    _serve_one(config, None, banner=True)


def config_to_json(config: ServerConfig) -> str:
    """``config`` as JSON (secret keys included: see :mod:`moto_forge.supervisor`)."""
    return json.dumps(dataclasses.asdict(config))


def config_from_json(text: str) -> ServerConfig:
    """The :class:`ServerConfig` :func:`config_to_json` wrote."""
    fields = json.loads(text)
    fields["tenants"] = tuple(Tenant(**tenant) for tenant in fields["tenants"])
    return ServerConfig(**fields)


def serve_worker(config_json: str, index: int, listening: socket.socket, load: workers.ConnectionLoad) -> None:
    """Worker ``index`` of a supervisor (:mod:`moto_forge.supervisor`): serve connections
    from ``listening`` until stopped (the first worker ships the Forge outbox)."""
    config = dataclasses.replace(config_from_json(config_json), ship_outbox=index == 0)
    _serve_one(config, listening.fileno(), load=load)


def _serve_one(
    config: ServerConfig, fd: int | None, banner: bool = False, load: workers.ConnectionLoad | None = None
) -> None:
    limit_malloc_arenas()
    app = compose(config)
    server = make(config, app, fd)
    server.load = load
    if fd is not None:
        server.socket.setblocking(False)  # workers race for each connection (moto_forge/workers.py)
    registration.install(app.backends)
    signal.signal(signal.SIGHUP, lambda *_: _reload_tenants(app))
    signal.signal(signal.SIGTERM, _interrupt)  # stop as Ctrl-C does: the store is closed cleanly
    if banner:
        print(_banner(config, server.port), file=sys.stderr, flush=True)
    if load is not None:
        load.ready()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        registration.uninstall(app.backends)
        server.server_close()
        app.service.close()  # flushes the blob journal, stops the outbox shipper


def _interrupt(*_: object) -> None:
    """SIGTERM: stop serving, as SIGINT does (then :func:`_serve_one` closes the store)."""
    raise KeyboardInterrupt


class ServerThread:
    """A server on a background thread (for tests and the pytest plugin)."""

    def __init__(self, config: ServerConfig, app: S3App | None = None) -> None:
        self.server = make(config, app)
        self.port = self.server.port
        self.url = f"http://{config.host}:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="moto-forge", daemon=True)

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)
