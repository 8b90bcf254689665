"""The keys a running server accepts, kept in step with its tenants file.

A server that checks signatures reads its tenants file at start, and again whenever the
file changes (its size, modification time or inode; looked at once per request, one
``stat``) or on ``SIGHUP``: a removed tenant's key stops working with the next request,
an added tenant's works at once (with Forge, after a restart: its space's identity is
needed to publish).  Whether signatures are checked at all is decided once, at start
(the start-up line says which and why): a server started without keys does not begin
checking because a tenants file appeared, and one that checks never stops because the
file emptied (it then refuses every key but its own ``--access-key``).

The swap is of whole mappings (one attribute assignment each), so a request sees one
set of keys or the next, never a mix; a key removed between its signature check and
its tenancy lookup is refused (:meth:`moto_forge.s3.tenancy.Tenancy.principal`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from moto_forge import tenants as tenant_file
from moto_forge.forge.identity import Identity
from moto_forge.s3.registration import ForgeBackends
from moto_forge.s3.sigv4 import SigV4Authenticator
from moto_forge.s3.tenancy import Tenancy

log = logging.getLogger("moto_forge.tenants")

Stamp = tuple[int, int, int] | None
"""(inode, size, mtime_ns) of the tenants file, ``None`` when there is none."""


UNREAD = "unread"
"""The stamp before the first :meth:`TenantKeys.check`: never a file's, so the first request
reads the file.  The keys a server starts with came from the file when the command began;
a worker builds its application seconds later, and a change in between (a tenant added
while it imported) would otherwise go unseen until the file changed again."""


def stamp_of(path: str) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


class TenantKeys:
    """The server's own credentials plus the tenants file's, applied to ``authenticator``
    and ``tenancy`` (and the tenants' moto accounts to ``backends``).  ``identity_of``
    makes a new tenant's identity; ``None`` (Forge) leaves new tenants for a restart."""

    def __init__(
        self,
        path: str,
        own: dict[str, str],
        identities: dict[str, Identity],
        authenticator: SigV4Authenticator,
        tenancy: Tenancy,
        backends: ForgeBackends,
        identity_of: Callable[[str], Identity] | None,
    ) -> None:
        self.path = path
        self.own = dict(own)
        self.identities = dict(identities)
        self.authenticator = authenticator
        self.tenancy = tenancy
        self.backends = backends
        self.identity_of = identity_of
        self._lock = threading.Lock()
        self._stamp: Stamp | str = UNREAD

    def check(self) -> None:
        """Reload if the file changed since it was last read (cheap: one ``stat``)."""
        if stamp_of(self.path) != self._stamp:
            self.reload()

    def reload(self) -> bool:
        """Read the file and apply it; ``False`` (the keys in use stay, the error is
        logged) when the file is invalid."""
        with self._lock:
            self._stamp = stamp_of(self.path)
            try:
                tenants = tenant_file.load(self.path)
            except tenant_file.TenantFileError as exc:
                log.error("tenants file not applied, the keys in use stay: %s", exc)
                return False
            credentials = dict(self.own)
            spaces: dict[str, str | None] = dict.fromkeys(self.own)
            for tenant in tenants:
                if tenant.access_key in credentials:
                    log.error("tenants file not applied: tenant %s's access key is also the server's own", tenant.name)
                    return False
                identity = self.identities.get(tenant.name)
                if identity is None and self.identity_of is None:
                    log.warning("tenant %s added: restart the server to serve it (its Forge space)", tenant.name)
                    continue
                if identity is None:
                    assert self.identity_of is not None
                    identity = self.identities[tenant.name] = self.identity_of(tenant.name)
                credentials[tenant.access_key] = tenant.secret_key
                spaces[tenant.access_key] = identity.space.did
            self.backends.add_spaces(tuple(space for space in spaces.values() if space is not None))
            self.tenancy.spaces = spaces
            self.authenticator.credentials = credentials
            log.info("tenants file %s applied: %d tenant key(s)", self.path, len(credentials) - len(self.own))
            return True
