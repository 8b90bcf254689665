"""The real Go Forge services as plain processes on 127.0.0.1, for the "go" Forge suite.

What runs (all started here, stopped by :meth:`GoStack.stop`):

* Redis (Debian ``redis-server``, no persistence): the indexer's caches;
* a small IPNI stub (:class:`IpniStub`): answers the indexer's finder queries
  with 404 (nothing is in IPNI; the indexer's own caches hold what the tests
  write) and records the announcements piri and the indexer send;
* the Go indexing-service (``indexer server start``) under a ``did:web`` name;
* tests/forge/peer/server.mjs in Go-stack mode: Storacha's upload-api logic as
  the upload service (sprue is not on the Go module proxy), routing
  ``blob/allocate`` / ``blob/accept`` to piri and ``assert/index`` to the indexer;
* piri (``piri serve ucan``): filesystem blobs, presigned PUT URLs, location
  claims cached with the indexer (``claim/cache``, with the indexer's delegation).

Keys for every service are generated here; the test harness plays each
service's operator and signs the delegations they need.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from moto_forge.ipld.cid import CAR, IDENTITY
from moto_forge.ipld.varint import encode_uvarint
from moto_forge.ucan.archive import archive
from moto_forge.ucan.principal import Signer
from moto_forge.ucan.ucan import UCAN, Capability
from tests.support.postgres import free_port

HERE = Path(__file__).parent
PEER = HERE.parent / "peer"
INDEXER_DID = "did:web:indexer.moto-forge.test"
"""The indexer's name: piri's `serve ucan` accepts only did:web service DIDs.
Nobody resolves it: piri never checks a signature by the indexer, and the indexer
verifies its own delegations with its own key."""
UPLOAD_DID_FOR_PIRI = "did:web:upload.moto-forge.test"
"""What piri is told the upload service is called (only used for replication,
which this stack does not do); the upload service signs as its did:key."""
START_TIMEOUT_SECONDS = 60


def build_binaries() -> Path:
    """Run tests/forge/gostack/build (cached) and return the directory of the binaries."""
    out = subprocess.run([str(HERE / "build")], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def toolchain_missing() -> str | None:
    """Why the Go stack cannot run here, or None."""
    for tool in ("go", "redis-server", "node"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


class IpniStub:
    """Finder queries answer 404; announcements (PUT/POST) are recorded and answered 204."""

    def __init__(self) -> None:
        self.announcements: list[tuple[str, bytes]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _announce(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                stub.announcements.append((self.path, self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            do_PUT = _announce
            do_POST = _announce

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                raise RuntimeError(f"{process.args!r} did not start listening on {port}:\n{tail}") from None
            time.sleep(0.1)


def _pem(signer: Signer) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(signer.seed).private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )


@dataclass
class GoStack:
    """Running services; ``url``, ``did``, ``key`` (the upload service's) and
    ``claims_url`` (the indexer's) are what ``moto-forge serve --forge`` needs."""

    workdir: Path
    url: str = ""
    did: str = ""
    key: str = ""
    claims_url: str = ""
    piri_url: str = ""
    piri_did: str = ""
    indexer_url: str = ""
    ipni: IpniStub | None = None
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def piri_blobs(self) -> Path:
        """Where piri keeps the blobs it accepted (its filesystem blob store)."""
        return self.workdir / "piri" / "data" / "blobs"

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps its own descriptor
        try:
            process = subprocess.Popen(command, stdout=log, stderr=log, env=env, cwd=self.workdir)
        finally:
            log.close()
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self.ipni is not None:
            self.ipni.stop()


def start_go_stack(workdir: Path, space_key: str, agent_key: str) -> GoStack:
    """Start Redis, the IPNI stub, the indexer, the upload service and piri, in that order."""
    bindir = build_binaries()
    stack = GoStack(workdir)
    try:
        _start(stack, bindir, space_key, agent_key)
    except BaseException:
        stack.stop()
        raise
    return stack


def _start(stack: GoStack, bindir: Path, space_key: str, agent_key: str) -> None:
    workdir = stack.workdir
    piri_key, indexer_key, upload_key = Signer.generate(), Signer.generate(), Signer.generate()
    _start_indexer(stack, bindir, indexer_key)
    stack.piri_url = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "FORGE_SPACE_KEY": space_key,
        "FORGE_AGENT_KEY": agent_key,
        "FORGE_UPLOAD_KEY": upload_key.encode(),
        "FORGE_PIRI_URL": stack.piri_url,
        "FORGE_PIRI_KEY": piri_key.encode(),
        "FORGE_INDEXER_URL": stack.indexer_url,
        "FORGE_INDEXER_KEY": indexer_key.encode(),
        "FORGE_INDEXER_DID": INDEXER_DID,
    }
    with open(workdir / "upload.log", "ab") as log:
        upload = subprocess.Popen(
            ["node", str(PEER / "server.mjs")], cwd=PEER, env=env, stdout=subprocess.PIPE, stderr=log
        )
    stack.processes.append(upload)
    assert upload.stdout is not None
    line = upload.stdout.readline()
    if not line:
        raise RuntimeError(f"the upload service did not start:\n{(workdir / 'upload.log').read_text()[-3000:]}")
    info = json.loads(line)
    stack.url, stack.did, stack.key = info["url"], info["did"], info["key"]
    _start_piri(stack, bindir, piri_key, info["piriIndexerProof"])


def _start_indexer(stack: GoStack, bindir: Path, indexer_key: Signer) -> None:
    """Redis, the IPNI stub and the indexer (as ``INDEXER_DID``, with ``indexer_key``)."""
    workdir = stack.workdir
    redis_port = free_port()
    redis = stack._spawn(
        "redis",
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    )
    _wait_for_port(redis_port, redis, workdir / "redis.log")

    stack.ipni = IpniStub()
    announce = json.dumps([f"{stack.ipni.url}/announce"])

    indexer_port = free_port()
    stack.indexer_url = f"http://127.0.0.1:{indexer_port}"
    stack.claims_url = f"{stack.indexer_url}/claims"
    indexer = stack._spawn(
        "indexer",
        [
            str(bindir / "indexer-v1.13.4"), "server", "start",
            "--port", str(indexer_port),
            "--private-key", indexer_key.encode(),
            "--did", INDEXER_DID,
            "--redis-url", f"127.0.0.1:{redis_port}",
            "--ipni-endpoint", stack.ipni.url,
            "--ipni-fallback-endpoints", "[]",
            "--ipni-announce-urls", announce,
            "--public-url", stack.indexer_url,
        ],
    )  # fmt: skip
    _wait_for_port(indexer_port, indexer, workdir / "indexer.log")


def _start_piri(stack: GoStack, bindir: Path, piri_key: Signer, indexer_proof: str) -> None:
    """piri on ``stack.piri_url`` (its port chosen if not yet), caching its location claims with
    the indexer under ``indexer_proof`` (the indexer's ``claim/cache`` delegation to it)."""
    workdir = stack.workdir
    if not stack.piri_url:
        stack.piri_url = f"http://127.0.0.1:{free_port()}"
    piri_port = int(stack.piri_url.rsplit(":", 1)[1])
    stack.piri_did = piri_key.did
    assert stack.ipni is not None
    piri_dir = workdir / "piri"
    piri_dir.mkdir()
    key_file = piri_dir / "piri.pem"
    key_file.write_bytes(_pem(piri_key))
    key_file.chmod(0o600)
    piri = stack._spawn(
        "piri",
        [
            str(bindir / "piri-v0.2.1"), "serve", "ucan",
            "--key-file", str(key_file),
            "--data-dir", str(piri_dir / "data"),
            "--temp-dir", str(piri_dir / "tmp"),
            "--host", "127.0.0.1",
            "--port", str(piri_port),
            "--public-url", stack.piri_url,
            "--indexing-service-did", INDEXER_DID,
            "--indexing-service-url", stack.indexer_url,
            "--indexing-service-proof", indexer_proof,
            "--upload-service-did", UPLOAD_DID_FOR_PIRI,
            "--upload-service-url", stack.url,
            "--ipni-announce-urls", f"{stack.ipni.url}/announce",
        ],
    )  # fmt: skip
    _wait_for_port(piri_port, piri, workdir / "piri.log")


# ---- sprue as the upload service ------------------------------------------------------------


SPRUE_OPERATOR = "operator@moto-forge.test"
"""The account the harness logs in (through sprue's logged validation link) to provision spaces."""


def build_sprue() -> Path | str:
    """tests/forge/gostack/build-sprue's binary, or why there is none (no snapshot beside the project)."""
    done = subprocess.run([str(HERE / "build-sprue")], capture_output=True, text=True)
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or ["build-sprue failed"])[-1]
    return Path(done.stdout.strip().splitlines()[-1])


def delegation_string(delegation: UCAN) -> str:
    """go-ucanto's ``delegation.Parse`` form: base64 multibase of a CID (codec CAR, identity
    multihash) whose digest is the delegation's archive."""
    data = archive(delegation)  # longer than moto_forge's CIDs allow identity digests: built by hand
    cid = encode_uvarint(1) + encode_uvarint(CAR) + encode_uvarint(IDENTITY) + encode_uvarint(len(data)) + data
    return "m" + base64.b64encode(cid).decode().rstrip("=")


def signed_as(signer: Signer, issuer: str, audience: str, capabilities: list[Capability]) -> UCAN:
    """A delegation from ``issuer`` (a did:web the signer's key stands for) to ``audience``."""
    unsigned = UCAN(issuer, audience, capabilities, None, b"")
    return UCAN(issuer, audience, capabilities, None, signer.sign(unsigned.payload()))


def start_sprue_stack(workdir: Path, spaces: list[Signer], agent: Signer, sprue: Path) -> GoStack:
    """Redis, the IPNI stub, the indexer, sprue and piri; piri registered with sprue as its
    storage provider; each of ``spaces`` provisioned for ``agent`` by an account the harness
    logs in as a user would (the validation link sprue's ``nop`` mailer logs is clicked)."""
    bindir = build_binaries()
    stack = GoStack(workdir)
    try:
        _start_sprue(stack, bindir, sprue, spaces, agent)
    except BaseException:
        stack.stop()
        raise
    return stack


def _start_sprue(stack: GoStack, bindir: Path, sprue: Path, spaces: list[Signer], agent: Signer) -> None:
    from moto_forge.forge.account import provision, request_access, wait_for_login
    from moto_forge.forge.connection import open_connection

    workdir = stack.workdir
    piri_key, indexer_key, sprue_key = Signer.generate(), Signer.generate(), Signer.generate()
    _start_indexer(stack, bindir, indexer_key)

    sprue_port = free_port()
    stack.url, stack.did, stack.key = f"http://127.0.0.1:{sprue_port}", sprue_key.did, sprue_key.did
    pem = workdir / "sprue.pem"
    pem.write_bytes(_pem(sprue_key))
    pem.chmod(0o600)
    config = workdir / "sprue.yaml"
    config.write_text(
        "deployment: {environment: development, allow_provision_without_payment_plan: true, max_replicas: 1}\n"
        f"server: {{host: 127.0.0.1, port: {sprue_port}, public_url: '{stack.url}'}}\n"
        f"identity: {{key_file: '{pem}'}}\n"
        f"indexer: {{endpoint: '{stack.indexer_url}', did: '{INDEXER_DID}'}}\n"
        "mailer: {type: nop}\n"
        "storage: {type: memory}\n"
        "log: {level: info}\n"
    )
    process = stack._spawn("sprue", [str(sprue), "serve", "--config", str(config)])
    _wait_for_port(sprue_port, process, workdir / "sprue.log")

    cache = signed_as(indexer_key, INDEXER_DID, piri_key.did, [Capability(INDEXER_DID, "claim/cache")])
    _start_piri(stack, bindir, piri_key, delegation_string(cache))
    to_sprue = UCAN.issue(piri_key, sprue_key.did, [Capability(piri_key.did, can) for can in
                          ("blob/allocate", "blob/accept", "blob/replica/allocate")], None)  # fmt: skip
    for admin in (
        ["register", stack.piri_url, delegation_string(to_sprue)],
        ["weight", "set", piri_key.did, "100", "0"],
    ):
        done = subprocess.run([str(sprue), "client", "--config", str(config), "admin", "provider", *admin],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"sprue admin provider {admin[0]} failed: {done.stdout}{done.stderr}")

    connection = open_connection(agent, stack.url, stack.did, stack.key)
    account = "did:mailto:moto-forge.test:operator"
    request_access(connection, account)
    _click_logged_link(workdir / "sprue.log", SPRUE_OPERATOR)
    proofs = wait_for_login(connection, account, 30)
    for space in spaces:
        provision(connection, account, proofs, space.did)


def _click_logged_link(log: Path, email: str) -> None:
    """POST the validation URL sprue's ``nop`` mailer logged for ``email`` (what the link's page does)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        for line in log.read_text(errors="replace").splitlines():
            if "Validation email" in line and f'"to": "{email}"' in line:
                url = json.loads(line[line.index("{") :])["url"]
                with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=30) as answer:
                    if answer.status == 200:
                        return
        if time.monotonic() > deadline:
            raise RuntimeError(f"sprue logged no validation email to {email}")
        time.sleep(0.1)
