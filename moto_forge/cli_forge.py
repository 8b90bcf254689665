"""``moto-forge login`` and the Forge-facing ``space`` commands (``provision``, ``import``,
``info --forge``): thin wrappers over :mod:`moto_forge.forge.account` and
:mod:`moto_forge.forge.grants`."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from moto_forge.config import default_data_dir, forge_settings_from_env
from moto_forge.errors import ForgeError

LOGIN_WAIT_SECONDS = 900.0
"""How long ``login`` waits for the emailed link to be clicked (default)."""


def add_connection_args(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """The options naming the upload service (shared with ``serve``)."""
    env = forge_settings_from_env()
    parser.add_argument(
        "--forge", default=env.get("forge_url"), required=required and not env.get("forge_url"),
        help="Forge upload service URL (env MOTO_FORGE_UPLOAD_URL)",
    )  # fmt: skip
    parser.add_argument(
        "--forge-did", default=env.get("forge_did"), help="the upload service's DID (env MOTO_FORGE_UPLOAD_DID)"
    )
    parser.add_argument(
        "--forge-key",
        default=env.get("forge_key"),
        help="the did:key its receipts are signed with (env MOTO_FORGE_UPLOAD_KEY; default: what its did:web "
        "document names, read and cached)",
    )
    parser.add_argument(
        "--forge-did-document",
        default=env.get("forge_did_document"),
        help="URL of the service's did:web document (env MOTO_FORGE_UPLOAD_DID_DOCUMENT; default: "
        "https://HOST/.well-known/did.json of the did:web)",
    )
    parser.add_argument(
        "--forge-timeout",
        type=float,
        default=float(env.get("forge_timeout", "30")),
        help="seconds any one network wait on Forge may take (default 30; env MOTO_FORGE_TIMEOUT)",
    )


def _connect(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The identity of ``--data-dir`` and its agent's connection to the service."""
    from moto_forge.forge.connection import open_connection
    from moto_forge.forge.identity import Identity

    if not args.forge or not args.forge_did:
        raise ForgeError("give the upload service: --forge URL and --forge-did DID")
    identity = Identity.load_or_create(args.data_dir)
    connection = open_connection(
        identity.agent, args.forge, args.forge_did, args.forge_key, args.forge_did_document, args.forge_timeout
    )
    return identity, connection


def cmd_login(args: argparse.Namespace, out: TextIO) -> int:
    from moto_forge.forge.account import mailto_did, request_access, save_account, wait_for_login

    account = mailto_did(args.email)
    _, connection = _connect(args)
    request_access(connection, account)
    print(f"moto-forge: a confirmation link was emailed to {args.email}: click it to log in "
          f"(waiting up to {args.wait:g} s)", file=sys.stderr, flush=True)  # fmt: skip
    proofs = wait_for_login(connection, account, args.wait)
    path = save_account(args.data_dir, proofs)
    print(f"logged in as {account} (its delegations to this server's agent are in {path})", file=out)
    return 0


def cmd_space_provision(args: argparse.Namespace, out: TextIO) -> int:
    from moto_forge.forge.account import load_account, provision

    identity, connection = _connect(args)
    account, proofs = load_account(args.data_dir)
    space = args.space or identity.space.did
    provision(connection, account, proofs, space)
    print(f"provisioned {space} with {account} at {connection.audience}", file=out)
    return 0


def cmd_space_import(args: argparse.Namespace, out: TextIO) -> int:
    from moto_forge.forge.grants import import_space
    from moto_forge.forge.identity import Identity

    identity = Identity.load_or_create(args.data_dir)
    with open(args.proof, "rb") as fh:
        grant = import_space(args.data_dir, fh.read(), identity.agent.did)
    print(f"imported {grant.space}: serve it with --forge-space {grant.space}", file=out)
    return 0


def cmd_space_info(args: argparse.Namespace, out: TextIO) -> int:
    from moto_forge.cli import existing_data_dir
    from moto_forge.forge.identity import Identity

    identity = Identity.load_or_create(existing_data_dir(args.data_dir))
    print(f"space: {identity.space.did}", file=out)
    print(f"agent: {identity.agent.did} (delegate a space made elsewhere to this DID, then `space import`)", file=out)
    print(f"space -> agent delegation: {identity.agent_proof.cid}", file=out)
    if not args.forge:
        print("forge: log in (moto-forge login EMAIL) and provision this space (moto-forge space provision), "
              "or import one; then `moto-forge serve --forge URL ...`", file=out)  # fmt: skip
        return 0
    _show_forge(args, identity, out)
    return 0


def _show_forge(args: argparse.Namespace, identity, out: TextIO) -> None:  # type: ignore[no-untyped-def]
    from moto_forge.forge.account import AccountError, load_account, plan, space_info
    from moto_forge.forge.grants import SpaceGrant, load_imported

    _, connection = _connect(args)
    space = args.space or identity.space.did
    grant = (
        SpaceGrant.of(identity)
        if space == identity.space.did
        else load_imported(args.data_dir, space, identity.agent.did)
    )
    info = space_info(connection, grant.space, grant.proofs, grant.blocks)
    providers = info.get("providers")
    named = ", ".join(str(p) for p in providers) if isinstance(providers, list) else ""
    print(f"{space} at {connection.audience}: providers {named or 'none'}", file=out)
    try:
        account, proofs = load_account(args.data_dir)
    except AccountError:
        print("account: not logged in", file=out)
        return
    found = plan(connection, account, proofs)
    product = found.get("product") if found else None
    print(f"account: {account}, plan {product or 'none'}", file=out)


def add_commands(sub: argparse._SubParsersAction, space: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``login`` to ``sub`` and ``info``, ``provision``, ``import`` to ``space``."""
    login = sub.add_parser("login", help="log this server's agent in to a Storacha account (by email)")
    login.add_argument("email")
    login.add_argument("--data-dir", default=default_data_dir())
    login.add_argument("--wait", type=float, default=LOGIN_WAIT_SECONDS, help="seconds to wait for the click")
    add_connection_args(login, required=True)
    login.set_defaults(func=cmd_login)

    info = space.add_parser("info", help="print the space and agent DIDs (with --forge: providers and plan)")
    info.add_argument("--data-dir", default=default_data_dir())
    info.add_argument("--space", help="an imported space (default: the generated one)")
    add_connection_args(info, required=False)
    info.set_defaults(func=cmd_space_info)

    prov = space.add_parser("provision", help="add the space to the logged-in account (provider/add)")
    prov.add_argument("--data-dir", default=default_data_dir())
    prov.add_argument("--space", help="the space DID (default: the generated one)")
    add_connection_args(prov, required=True)
    prov.set_defaults(func=cmd_space_provision)

    imp = space.add_parser("import", help="use a space made elsewhere, delegated to this server's agent")
    imp.add_argument("proof", help="the delegation CAR (e.g. `storacha delegation create AGENT_DID -o F.car`)")
    imp.add_argument("--data-dir", default=default_data_dir())
    imp.set_defaults(func=cmd_space_import)
