"""The switch that makes the Forge backend moto's S3 backend.

moto keeps one :class:`~moto.core.base_backend.BackendDict` per service; for S3 it is
``moto.s3.models.s3_backends`` (account id -> partition -> backend), which every moto
entry point reads: ``S3Response.backend`` (``mock_aws``, ``moto_server``'s dispatcher,
``ThreadedMotoServer``) and the other services that touch S3 (Firehose, Lambda,
CloudFormation, Logs, AWS Config, ...; they import that same object).  The dict makes
each account's backend lazily by calling ``s3_backends.backend(region, account_id=...)``.

:func:`install` points that factory at :class:`ForgeBackends` (one
:class:`~moto_forge.s3.backend.ForgeS3Backend` per account, all over one bucket service)
and sets moto's own per-account backends and bucket map aside; :func:`uninstall` puts
them back exactly.  Installations nest (the innermost wins and each uninstall restores
what its install found), and nothing of moto_forge stays in moto's state once the
outermost is gone.

Accounts map to spaces: an account a tenant's access key acts in (see
:func:`account_of_space`) writes to that tenant's space; every other account (moto's
default ``123456789012``, ``MOTO_ACCOUNT_ID``, ``x-moto-account-id``) to the server's own.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.s3.models import S3Backend, s3_backends

from moto_forge.bucket.service import BucketService
from moto_forge.s3 import restores
from moto_forge.s3.backend import ForgeS3Backend


def account_of_space(space: str | None) -> str:
    """The 12-digit moto account id a space acts as: the server's own space (``None``) is
    moto's default account; a tenant's is derived from its DID (stable across restarts)."""
    if space is None:
        return DEFAULT_ACCOUNT_ID
    digest = hashlib.sha256(space.encode()).digest()
    leading = int.from_bytes(digest[:8], "big") % 9 + 1  # 1-9: twelve digits, no leading zero
    account = f"{leading}{int.from_bytes(digest[8:16], 'big') % 10**11:011d}"
    return account if account != DEFAULT_ACCOUNT_ID else "100000000000"


class ForgeBackends:
    """One :class:`ForgeS3Backend` per moto account, all over ``service``.

    Called as moto calls a backend class (``(region_name, account_id=...)``), so an
    instance can stand in for ``S3Backend`` in moto's ``BackendDict``.  ``spaces`` names
    the space of each tenant account (:func:`account_of_space`); other accounts use the
    server's own space.
    """

    def __init__(self, service: BucketService, spaces: tuple[str, ...] = ()) -> None:
        self.service = service
        self._space_of = {account_of_space(space): space for space in spaces}
        self._by_account: dict[str, ForgeS3Backend] = {}
        self._lock = threading.Lock()

    def add_spaces(self, spaces: tuple[str, ...]) -> None:
        """Tenant spaces added while running (moto_forge/tenant_keys.py): their accounts."""
        added = {account_of_space(space): space for space in spaces}
        self._space_of = {**self._space_of, **added}

    def known_accounts(self) -> list[str]:
        """moto's default account and every tenant's."""
        return [DEFAULT_ACCOUNT_ID, *self._space_of]

    def space_of(self, account_id: str) -> str | None:
        """The space ``account_id`` writes to (``None``: the server's own)."""
        return self._space_of.get(account_id)

    def for_account(self, account_id: str) -> ForgeS3Backend:
        """The account's backend (made on first use, then the same object)."""
        with self._lock:
            backend = self._by_account.get(account_id)
            if backend is None:
                backend = ForgeS3Backend(self.service, account_id=account_id, space=self.space_of(account_id))
                self._by_account[account_id] = backend
        if account_id not in s3_backends and installed() is self:
            # moto's services that walk every account's backends (the Resource Groups Tagging
            # API) see only accounts moto's dict holds (a moto reset empties it): put this one
            # there (moto calls back here for it)
            s3_backends[account_id]["aws"]
        return backend

    def __call__(self, region_name: str, account_id: str = DEFAULT_ACCOUNT_ID) -> ForgeS3Backend:
        """moto asks per account and partition (``aws``, ``aws-cn``, ...); bucket names are one
        namespace in the store, so every partition of an account is the same backend (whose
        region, for what moto renders from it, is ``us-east-1`` until bucket regions are stored)."""
        return self.for_account(account_id)

    def reset(self) -> None:
        """Forget every account's in-memory holders (moto's reset; the store is not touched)."""
        with self._lock:
            for backend in self._by_account.values():
                backend.reset()
        restores.clear()


class _BackendClassMeta(type):
    """Makes a class that moto calls as it calls ``S3Backend`` and that answers with a
    :class:`ForgeBackends`' backend for the account.  moto checks ``BackendDict.backend``
    with ``issubclass`` in places (the Resource Groups Tagging API walks every taggable
    backend class), so the factory it holds must be a class, a subclass of ``S3Backend``."""

    forge: ForgeBackends

    def __call__(cls, region_name: str, account_id: str = DEFAULT_ACCOUNT_ID) -> ForgeS3Backend:
        return cls.forge(region_name, account_id)


def backend_class(backends: ForgeBackends) -> type[ForgeS3Backend]:
    """The class :func:`install` puts where moto keeps ``S3Backend`` (see :class:`_BackendClassMeta`)."""
    made: type[ForgeS3Backend] = _BackendClassMeta("ForgeS3BackendFactory", (ForgeS3Backend,), {"forge": backends})  # type: ignore[assignment]
    return made


@dataclass
class _SetAside:
    """What an :func:`install` found in moto's ``s3_backends``, to put back on uninstall."""

    factory: Any
    accounts: dict[str, Any]
    bucket_accounts: dict[str, tuple[str, str]]
    installed: ForgeBackends
    previous: _SetAside | None = field(default=None, repr=False)


_guard = threading.RLock()
_current: _SetAside | None = None


def install(backends: ForgeBackends) -> None:
    """Make ``backends`` moto's S3 backend for every entry point (see the module doc)."""
    global _current
    with _guard:
        _current = _SetAside(
            factory=s3_backends.backend,
            accounts=dict(s3_backends),
            bucket_accounts=dict(s3_backends.bucket_accounts),
            installed=backends,
            previous=_current,
        )
        dict.clear(s3_backends)
        s3_backends.bucket_accounts.clear()
        s3_backends.backend = backend_class(backends)
    for account in backends.known_accounts():  # so services that walk moto's accounts see stored buckets at once
        backends.for_account(account)


def uninstall(backends: ForgeBackends) -> None:
    """Undo the :func:`install` of ``backends`` (the innermost one): moto's backends, as they were."""
    global _current
    with _guard:
        if _current is None or _current.installed is not backends:
            raise RuntimeError("uninstall of a ForgeBackends that is not the innermost installed one")
        aside, _current = _current, _current.previous
        dict.clear(s3_backends)
        dict.update(s3_backends, aside.accounts)
        s3_backends.bucket_accounts.clear()
        s3_backends.bucket_accounts.update(aside.bucket_accounts)
        s3_backends.backend = aside.factory


def installed() -> ForgeBackends | None:
    """The innermost installed :class:`ForgeBackends`, if any."""
    with _guard:
        return _current.installed if _current is not None else None


def is_moto_default() -> bool:
    """True when moto's S3 backend is its own (no installation active)."""
    with _guard:
        return _current is None and s3_backends.backend is S3Backend


@contextmanager
def forge_backend(service: BucketService, spaces: tuple[str, ...] = ()) -> Iterator[ForgeBackends]:
    """``with forge_backend(service):`` every moto entry point in this process (``mock_aws``,
    ``ThreadedMotoServer``, the other services) stores S3 in ``service``."""
    backends = ForgeBackends(service, spaces)
    install(backends)
    try:
        yield backends
    finally:
        uninstall(backends)
