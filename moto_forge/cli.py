"""``moto-forge``: thin commands over the library.  Each command parses its
arguments, calls one library function, prints, and maps moto_forge errors to
exit status 1 with a one-line message (never a traceback)."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO, TextIO

from moto_forge import __version__, cli_forge
from moto_forge import tenants as tenant_file
from moto_forge.bucket.maintenance import Retention, fsck, gc
from moto_forge.bucket.service import BucketService
from moto_forge.bucket.snapshots import diff, export_car, history, import_car
from moto_forge.config import (
    default_data_dir,
    default_registry_url,
    forge_settings_from_env,
    legacy_bucket_names_from_env,
)
from moto_forge.errors import ForgeError
from moto_forge.ipld.blocks import MemoryBlocks
from moto_forge.ipld.car import CarReader
from moto_forge.ipld.cid import CID, CODEC_NAMES
from moto_forge.mst import MST
from moto_forge.progress import Progress
from moto_forge.serving import MAX_CONNECTIONS
from moto_forge.tenants import Tenant


def _jsonl_items(stream: TextIO) -> Iterator[tuple[str, CID]]:
    for lineno, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            key, value = record["key"], record["value"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ForgeError(f'line {lineno}: expected {{"key": ..., "value": "<cid>"}}: {exc}') from exc
        if not isinstance(key, str) or not isinstance(value, str):
            raise ForgeError(f"line {lineno}: key and value must be strings")
        yield key, CID.decode(value)


def cmd_mst_root(args: argparse.Namespace, out: TextIO) -> int:
    tree = MST.from_items(MemoryBlocks(), _jsonl_items(sys.stdin))
    print(tree.root, file=out)
    return 0


def cmd_car_verify(args: argparse.Namespace, out: TextIO) -> int:
    with open(args.file, "rb") as fh:
        reader = CarReader(fh)
        count = sum(1 for _ in reader)
    print("roots: " + " ".join(str(r) for r in reader.roots), file=out)
    print(f"blocks: {count}", file=out)
    print("ok", file=out)
    return 0


def cmd_car_ls(args: argparse.Namespace, out: TextIO) -> int:
    with open(args.file, "rb") as fh:
        for block in CarReader(fh):
            codec = CODEC_NAMES.get(block.cid.codec, hex(block.cid.codec))
            print(f"{block.cid}\t{codec}\t{block.length}", file=out)
    return 0


class CountingReader:
    """A binary stream that counts the bytes read through it (an import's progress in bytes)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.position += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        count: int = self.stream.readinto(buffer)  # type: ignore[attr-defined]
        self.position += count
        return count

    def seekable(self) -> bool:
        return self.stream.seekable()

    def tell(self) -> int:
        return self.stream.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        """Seek the stream (an import read again after a gc race); the count follows it."""
        self.position = self.stream.seek(offset, whence)
        return self.position


def existing_data_dir(path: str) -> str:
    """``path``, refused (one line, exit 1) unless it is a directory: a command that reads a
    store never creates one (a mistyped ``--data-dir`` would otherwise answer from a new,
    empty store, and ``space info`` with a new identity)."""
    if not os.path.isdir(path):
        raise ForgeError(
            f"no data directory at {path} (moto-forge serve creates one; --data-dir or "
            "MOTO_FORGE_DATA_DIR names another)"
        )
    return path


def parse_cid(text: str, what: str) -> CID:
    """A CID given on the command line, or a one-line error naming the argument."""
    try:
        return CID.decode(text)
    except ForgeError:
        raise ForgeError(f"{what}: not a CID: {text!r}") from None


def _service(args: argparse.Namespace, *, read_only: bool = True) -> BucketService:
    """The store of ``args.data_dir`` (which must exist); opened read-only unless the
    command writes (then it may migrate the registry first)."""
    return BucketService.open(existing_data_dir(args.data_dir), args.registry, read_only=read_only)


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    root_cid = parse_cid(args.root, "--root") if args.root else None
    service = _service(args)
    try:
        if args.out == "-":  # the CAR on stdout; the summary goes to stderr
            with Progress("export") as progress:
                root, count = export_car(service, args.bucket, sys.stdout.buffer, root_cid, progress)
            out = sys.stderr
        else:
            root, count = _export_to_file(service, args.bucket, args.out, root_cid)
    finally:
        service.close()
    print(f"exported {args.bucket} root {root}: {count} blocks to {args.out}", file=out)
    return 0


def _export_to_file(service: BucketService, bucket: str, path: str, root: CID | None) -> tuple[CID, int]:
    """Export into ``path`` through a temporary file beside it, renamed into place only once
    complete: a failed export leaves no file (and an existing one as it was).  A path that
    is not a regular file (``/dev/null``, a FIFO, a terminal) is written directly: renaming
    over it would replace the device or pipe with a file."""
    if os.path.exists(path) and not os.path.isfile(path):
        with open(path, "wb") as fh, Progress("export") as progress:
            return export_car(service, bucket, fh, root, progress)
    directory = os.path.dirname(os.path.abspath(path))
    fd, partial = tempfile.mkstemp(prefix=".export-", suffix=".car.partial", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh, Progress("export") as progress:
            result = export_car(service, bucket, fh, root, progress)
        os.replace(partial, path)
        return result
    except BaseException:
        os.unlink(partial)
        raise


def cmd_import(args: argparse.Namespace, out: TextIO) -> int:
    service = BucketService.open(args.data_dir, args.registry)  # a new store may start with an import
    progress = Progress("import", os.path.getsize(args.file), "B")
    try:
        with open(args.file, "rb") as fh:
            reader = CountingReader(fh)
            root = import_car(service, reader, args.bucket, lambda _blocks: progress(reader.position))  # type: ignore[arg-type]
    finally:
        progress.close()
        service.close()
    print(f"imported {args.file} as bucket {args.bucket} at root {root}", file=out)
    return 0


def cmd_snapshots(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    try:
        records = history(service, args.bucket)
    finally:
        service.close()
    for r in records:
        stamp = datetime.datetime.fromtimestamp(r.time, datetime.UTC).isoformat(timespec="seconds")
        print(f"{r.seq}\t{r.root}\t{stamp}\t{r.operation}", file=out)
    return 0


def cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    try:
        root_a, root_b = parse_cid(args.root_a, "ROOT_A"), parse_cid(args.root_b, "ROOT_B")
        for change in diff(service, args.bucket, root_a, root_b):
            mark = "+" if change.old is None else "-" if change.new is None else "~"
            print(f"{mark} {change.key.decode('utf-8')}", file=out)
    finally:
        service.close()
    return 0


def cmd_fsck(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    try:
        with Progress("blocks checked") as progress:
            report = fsck(service, progress)
    finally:
        service.close()
    for problem in report.problems:
        print(problem, file=out)
    status = "ok" if report.ok else f"{len(report.problems)} problem(s)"
    print(f"fsck: {report.roots} roots, {report.blocks} blocks: {status}", file=out)
    return 0 if report.ok else 1


def cmd_gc(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args, read_only=False)
    try:
        with Progress("live blocks") as progress:
            report = gc(service, Retention(args.keep_last, args.keep_days), args.grace_seconds, args.dry_run, progress)
    finally:
        service.close()
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"gc: {report.reachable_blocks} live blocks; {verb} {report.blobs_deleted} blobs "
        f"({report.bytes_freed} bytes), {report.orphans_deleted} orphan files, "
        f"{report.history_pruned} history rows",
        file=out,
    )
    return 0


def cmd_space_delegate(args: argparse.Namespace, out: TextIO) -> int:
    from moto_forge.forge.identity import Identity
    from moto_forge.ucan.archive import archive
    from moto_forge.ucan.principal import did_to_bytes

    did_to_bytes(args.audience)  # refuse what is not a DID
    identity = Identity.load_or_create(args.data_dir)
    expiration = int(time.time()) + args.expiration if args.expiration else None
    delegation = identity.delegate(args.audience, args.can, expiration)
    with open(args.out, "wb") as fh:
        fh.write(archive(delegation))
    print(f"delegated {', '.join(args.can)} on {identity.space.did} to {args.audience}: {delegation.cid}", file=out)
    return 0


def cmd_status(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    try:
        pending, oldest = service.outbox_status()
        for bucket in service.list_buckets():
            forge = str(bucket.forge_root) if bucket.forge_root else "-"
            print(f"{bucket.name}\troot {bucket.root}\tforge {forge}\tpending {pending.get(bucket.name, 0)}", file=out)
    finally:
        service.close()
    total = sum(pending.values())
    line = f"outbox: {total} write(s) waiting for Forge"
    if oldest is not None:
        line += f"; oldest {time.time() - oldest.created:.0f}s ago, {oldest.attempts} attempt(s)"
        if oldest.last_error:
            line += f", last error: {oldest.last_error}"
    print(line, file=out)
    return 0


def worker_count(value: str, *, checked: bool) -> int:
    """``--workers``: ``auto`` is one per core when signatures are checked (S3 is then the only
    service), else 1; a number above 1 without signature checks is refused."""
    if value == "auto":
        return (os.cpu_count() or 1) if checked else 1
    try:
        count = int(value)
    except ValueError:
        raise ForgeError(f"--workers {value!r}: give a number of processes, or auto") from None
    if not 1 <= count <= 256:
        raise ForgeError(f"--workers {count}: give 1 to 256 processes")
    if count > 1 and not checked:
        raise ForgeError(
            f"--workers {count} needs signatures checked (--access-key/--secret-key or tenants): without them this "
            "server also serves moto's other services, whose state lives in one process"
        )
    return count


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    from moto_forge.server import ServerConfig, serve

    if args.forge_no_cache and (not args.forge or args.write_mode != "sync"):
        raise ForgeError(
            "--forge-no-cache needs --forge and --write-mode sync (an instance without a cache holds no writes)"
        )
    if args.forge and not args.forge_did:
        raise ForgeError("--forge needs --forge-did (the upload service's did:web, or its did:key)")
    if not os.path.isdir(args.data_dir):
        print(f"moto-forge: creating data directory {args.data_dir}", file=sys.stderr, flush=True)
    credentials: dict[str, str] = {}
    tenants: list[Tenant] = []
    tenants_path = args.tenants or tenant_file.default_path(args.data_dir)
    if not args.no_auth:
        if args.access_key or args.secret_key:
            if not (args.access_key and args.secret_key):
                raise ForgeError("give both --access-key and --secret-key (or --no-auth to check no signatures)")
            credentials[args.access_key] = args.secret_key
        tenants = tenant_file.load(tenants_path)
    workers = worker_count(args.workers, checked=bool(credentials or tenants))
    serve(
        ServerConfig(
            host=args.host,
            port=args.port,
            data_dir=args.data_dir,
            registry_url=args.registry,
            credentials=credentials,
            tenants=tuple(tenants),
            quiet=args.quiet,
            log_format=args.log_format,
            tenants_path=None if args.no_auth else tenants_path,
            forge_url=args.forge,
            forge_did=args.forge_did,
            forge_key=args.forge_key,
            forge_did_document=args.forge_did_document,
            forge_space=args.forge_space,
            forge_no_cache=args.forge_no_cache,
            forge_retrieval_auth=args.forge_retrieval_auth,
            forge_claims=args.forge_claims,
            forge_timeout=args.forge_timeout,
            write_mode=args.write_mode,
            allow_reset=args.allow_reset,
            legacy_bucket_names=args.legacy_bucket_names,
            console=not args.no_console,
            workers=workers,
            max_connections=args.max_connections,
            auth_note=auth_note(args.no_auth, bool(credentials), len(tenants), tenants_path),
        )
    )
    return 0


def connection_cap(text: str) -> int:
    """``--max-connections``: a whole number from 1 to 100 000."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"{value}: give 1 to 100000 connections")
    return value


def auth_note(no_auth: bool, own_key: bool, tenant_count: int, tenants_path: str) -> str:
    """Which auth mode ``serve`` runs in and why, for its start-up line (pure)."""
    if no_auth:
        return "signatures NOT checked, as moto (--no-auth)"
    if not own_key and not tenant_count:
        return f"signatures NOT checked, as moto (no --access-key, and no tenants in {tenants_path})"
    reasons = (["--access-key"] if own_key else []) + (
        [f"{tenant_count} tenant(s) in {tenants_path}"] if tenant_count else []
    )
    return f"SigV4 checked ({' and '.join(reasons)}); --no-auth serves moto-style unsigned requests again"


DESCRIPTION = """\
moto-forge: an S3 server for developers, built on moto, that keeps its data.
Buckets are Merkle Search Trees and objects content-addressed blocks, stored in
a local data directory (and on Storacha's Forge network when configured); every
bucket's history stays readable, exportable and diffable."""

EXAMPLES = """\
examples:
  moto-forge serve --port 5000                 S3 (and moto's other services) on :5000
  moto-forge snapshots my-bucket               a bucket's history of roots
  moto-forge export my-bucket --out b.car      a bucket as a CAR file"""


def port_number(text: str) -> int:
    """A TCP port, 1..65535 (or 0: any free port), for ``--port`` / ``MOTO_FORGE_PORT``."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range (1-65535, or 0 for any free port)")
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moto-forge",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"moto-forge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    mst = sub.add_parser("mst", help="Merkle Search Tree tools").add_subparsers(dest="mst_command", required=True)
    root = mst.add_parser("root", help='print the MST root of JSON lines {"key": ..., "value": "<cid>"} on stdin')
    root.set_defaults(func=cmd_mst_root)

    car = sub.add_parser("car", help="CAR file tools").add_subparsers(dest="car_command", required=True)
    verify = car.add_parser("verify", help="check every block against its CID; print roots and block count")
    verify.add_argument("file")
    verify.set_defaults(func=cmd_car_verify)
    ls = car.add_parser("ls", help="list CIDs with codec and size")
    ls.add_argument("file")
    ls.set_defaults(func=cmd_car_ls)

    def store_command(
        name: str, help_text: str, func: Callable[[argparse.Namespace, TextIO], int]
    ) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--data-dir", default=default_data_dir(), help="data directory (env MOTO_FORGE_DATA_DIR)")
        cmd.add_argument("--registry", default=default_registry_url(), help="registry URL (env MOTO_FORGE_REGISTRY)")
        cmd.set_defaults(func=func)
        return cmd

    export = store_command("export", "write a bucket as one CAR file", cmd_export)
    export.add_argument("bucket")
    export.add_argument("--out", required=True, help="the CAR file to write (- for stdout)")
    export.add_argument("--root", help="a root from the bucket's history (default: current)")
    imp = store_command("import", "create a bucket from an exported CAR file", cmd_import)
    imp.add_argument("file")
    imp.add_argument("bucket")
    snaps = store_command("snapshots", "list a bucket's roots: seq, root, time, operation", cmd_snapshots)
    snaps.add_argument("bucket")
    dif = store_command("diff", "keys added (+), removed (-), changed (~) between two roots", cmd_diff)
    dif.add_argument("bucket")
    dif.add_argument("root_a")
    dif.add_argument("root_b")
    store_command("status", "per bucket: root, Forge root, writes waiting in the outbox", cmd_status)
    store_command("fsck", "verify every block of every kept root; exit 1 on any problem", cmd_fsck)
    gcp = store_command("gc", "delete blobs no kept root reaches", cmd_gc)
    gcp.add_argument("--keep-last", type=int, default=100, help="roots kept per bucket (default 100)")
    gcp.add_argument("--keep-days", type=float, default=7.0, help="also keep roots younger than this (default 7)")
    gcp.add_argument("--grace-seconds", type=float, default=3600.0, help="age before unrecorded files go")
    gcp.add_argument("--dry-run", action="store_true")

    space = sub.add_parser("space", help="moto_forge's did:key space").add_subparsers(
        dest="space_command", required=True
    )
    cli_forge.add_commands(sub, space)
    dlg = space.add_parser("delegate", help="write a delegation CAR (ucanto archive) from the space")
    dlg.add_argument("--data-dir", default=default_data_dir())
    dlg.add_argument("--audience", required=True, help="the DID receiving the capabilities")
    dlg.add_argument("--can", required=True, action="append", help="an ability, e.g. space/blob/add (repeatable)")
    dlg.add_argument("--expiration", type=int, default=0, help="seconds from now (default: never expires)")
    dlg.add_argument("--out", required=True)
    dlg.set_defaults(func=cmd_space_delegate)

    serve = store_command(
        "serve",
        "run the server (like moto_server: S3 on the Forge store, other services from moto); data survives",
        cmd_serve,
    )
    serve.add_argument(
        "--host", default=os.environ.get("MOTO_FORGE_HOST", "127.0.0.1"),
        help="address to listen on (default 127.0.0.1, env MOTO_FORGE_HOST; 0.0.0.0 for every interface)",
    )  # fmt: skip
    serve.add_argument(
        "--port", type=port_number, default=os.environ.get("MOTO_FORGE_PORT", "5000"),
        help="port to listen on (default 5000, env MOTO_FORGE_PORT; 0 picks a free one)",
    )  # fmt: skip
    serve.add_argument(
        "--access-key", default=os.environ.get("MOTO_FORGE_ACCESS_KEY"), help="env MOTO_FORGE_ACCESS_KEY"
    )
    serve.add_argument(
        "--secret-key", default=os.environ.get("MOTO_FORGE_SECRET_KEY"), help="env MOTO_FORGE_SECRET_KEY"
    )
    serve.add_argument(
        "--no-auth",
        action="store_true",
        help="check no signatures, like moto, even if credentials are configured (the default without them)",
    )
    serve.add_argument(
        "--tenants",
        default=None,
        help=f"tenants file (default <data-dir>/{tenant_file.TENANTS_FILE}, env {tenant_file.TENANTS_ENV})",
    )
    serve.add_argument("--quiet", action="store_true", help="no access log (one line per request otherwise)")
    serve.add_argument(
        "--log-format", choices=["text", "json"], default=os.environ.get("MOTO_FORGE_LOG_FORMAT", "text"),
        help="access log lines: text, or json for containers (env MOTO_FORGE_LOG_FORMAT)",
    )  # fmt: skip
    serve.add_argument(
        "--allow-reset",
        action="store_true",
        help="let POST /moto-api/reset empty the store too (off: this server keeps its data; reset answers 409)",
    )
    serve.add_argument(
        "--workers",
        default=os.environ.get("MOTO_FORGE_WORKERS", "auto"),
        help="worker processes on the port (default auto: one per core when signatures are checked, "
        "else 1, since moto's other services, served only then, live in one process; env MOTO_FORGE_WORKERS)",
    )
    serve.add_argument(
        "--max-connections",
        type=connection_cap,
        default=MAX_CONNECTIONS,
        help=f"connections each worker serves at once; past it, new ones wait (default {MAX_CONNECTIONS})",
    )
    serve.add_argument(
        "--no-console",
        action="store_true",
        help="do not serve the web console at /-/console (it is on by default, behind the same credentials as S3)",
    )
    serve.add_argument(
        "--legacy-bucket-names",
        action="store_true",
        default=legacy_bucket_names_from_env(),
        help="allow new bucket names with '_' and upper case, as S3's legacy us-east-1 rules and moto do "
        "(path style only; env MOTO_FORGE_LEGACY_BUCKET_NAMES=1)",
    )
    env = forge_settings_from_env()
    cli_forge.add_connection_args(serve, required=False)
    serve.add_argument(
        "--forge-claims",
        default=env.get("forge_claims"),
        help="the indexer's GET /claims URL (default: <--forge>/claims)",
    )
    serve.add_argument(
        "--forge-retrieval-auth",
        action="store_true",
        default=os.environ.get("MOTO_FORGE_RETRIEVAL_AUTH", "") not in ("", "0"),
        help="send space/index/add a retrievalAuth delegation (sprue requires one; env MOTO_FORGE_RETRIEVAL_AUTH=1)",
    )
    serve.add_argument(
        "--forge-no-cache",
        action="store_true",
        default=os.environ.get("MOTO_FORGE_NO_CACHE", "") not in ("", "0"),
        help="keep no blocks in the data dir: every read from Forge, checked (sync writes only; env "
        "MOTO_FORGE_NO_CACHE=1)",
    )
    serve.add_argument(
        "--forge-space",
        default=env.get("forge_space"),
        help="the space the server's own buckets go to (env MOTO_FORGE_SPACE; default: its generated space; "
        "another must be imported first: moto-forge space import)",
    )
    serve.add_argument(
        "--write-mode",
        choices=["sync", "async"],
        default=env.get("write_mode", "sync"),
        help="sync: a write returns once it is in Forge; async: once on local disk, shipped by a durable outbox",
    )

    tenant = sub.add_parser("tenant", help="access keys bound to spaces of their own").add_subparsers(
        dest="tenant_command", required=True
    )
    for name, help_text, func in (
        ("add", "add a tenant: a new space and access key (secret printed once)", cmd_tenant_add),
        ("list", "print each tenant's name, access key and space DID (no secrets)", cmd_tenant_list),
        ("remove", "drop a tenant's access key (its space and buckets stay)", cmd_tenant_remove),
    ):
        cmd = tenant.add_parser(name, help=help_text)
        cmd.add_argument("--data-dir", default=default_data_dir())
        cmd.add_argument("--tenants", default=None, help=f"tenants file (env {tenant_file.TENANTS_ENV})")
        if name != "list":
            cmd.add_argument("name")
        if name == "add":
            cmd.add_argument("--access-key", help="default: generated")
            cmd.add_argument("--secret-key", help="default: generated")
        cmd.set_defaults(func=func)
    return parser


def _tenants_path(args: argparse.Namespace) -> str:
    return str(args.tenants or tenant_file.default_path(args.data_dir))


def cmd_tenant_add(args: argparse.Namespace, out: TextIO) -> int:
    from moto_forge.forge.identity import Identity

    if not tenant_file.NAME.fullmatch(args.name):
        raise ForgeError(f"tenant name {args.name!r}: 1-64 of A-Z a-z 0-9 _ -")
    path = _tenants_path(args)
    added = tenant_file.add_tenant(path, args.name, args.access_key, args.secret_key)
    space = Identity.load_or_create(args.data_dir, added.name).space.did
    print(f"tenant {added.name} added to {path}", file=out)
    print(f"space       {space}", file=out)
    print(f"access key  {added.access_key}", file=out)
    if not args.secret_key:
        print(f"secret key  {added.secret_key}   (shown once; it is kept in {path}, mode 0600)", file=out)
    return 0


def cmd_tenant_list(args: argparse.Namespace, out: TextIO) -> int:
    from moto_forge.forge.identity import Identity

    for t in tenant_file.load(_tenants_path(args)):
        print(f"{t.name}\t{t.access_key}\t{Identity.load_or_create(args.data_dir, t.name).space.did}", file=out)
    return 0


def cmd_tenant_remove(args: argparse.Namespace, out: TextIO) -> int:
    tenant_file.remove_tenant(_tenants_path(args), args.name)
    print(f"tenant {args.name} removed (its space and buckets stay)", file=out)
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace, TextIO], int] = args.func
    try:
        return func(args, out or sys.stdout)
    except BrokenPipeError:  # the reader went away (`moto-forge space info | head -1`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
    except ForgeError as exc:
        print(f"moto-forge: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"moto-forge: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
