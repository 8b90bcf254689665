"""``moto-forge``: thin commands over the library.  Each command parses its
arguments, calls one library function, prints, and maps moto_forge errors to
exit status 1 with a one-line message (never a traceback)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

from moto_forge.errors import ForgeError
from moto_forge.ipld.blocks import MemoryBlocks
from moto_forge.ipld.car import CarReader
from moto_forge.ipld.cid import CID, CODEC_NAMES
from moto_forge.mst import MST


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


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    print("moto-forge serve: not built yet; the S3 server arrives with Step 3 (issue #4)", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moto-forge", description=__doc__)
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

    serve = sub.add_parser("serve", help="run the S3 server (not built yet)")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace, TextIO], int] = args.func
    try:
        return func(args, out or sys.stdout)
    except ForgeError as exc:
        print(f"moto-forge: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"moto-forge: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
