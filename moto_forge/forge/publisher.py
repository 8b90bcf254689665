"""Sync write mode: every write's CAR and index are in Forge before the write commits.

The bucket service calls :meth:`ForgePublisher.publish` after a CAR and its
index are stored locally and before the registry commit; if Forge refuses or
cannot be reached, the write fails (S3 503) and the bucket root does not move.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from moto_forge.blocks.carfile import StoredCar
from moto_forge.errors import ForgeError, StorageError
from moto_forge.forge.blobs import add_blob
from moto_forge.forge.connection import Connection
from moto_forge.forge.grants import SpaceGrant
from moto_forge.forge.identity import Identity
from moto_forge.ipld.cid import CAR, CID, SHA2_256
from moto_forge.ucan.ucan import UCAN, Capability


class ForgeUnavailable(StorageError):
    """Forge could not take a write (the write is refused, nothing changes)."""


class ForgePublisher:
    """Publishes CARs to the space they belong to: ``identity`` is the server's own space
    (``space=None``), ``tenants`` the other spaces by DID (each delegated to the same agent)."""

    def __init__(
        self,
        connection: Connection,
        identity: Identity,
        blob_path: Callable[[str], str],
        tenants: Iterable[Identity] = (),
        own: SpaceGrant | None = None,
        retrieval_auth: bool = False,
    ) -> None:
        """``own``: the server's own space when it is not ``identity``'s (an imported one).
        ``retrieval_auth``: ``space/index/add`` carries the index's ``content`` root and a
        ``retrievalAuth`` fact (sprue requires both; the upload-api wants the fact once
        ``content`` is there; an indexer given one fetches the index by an authorized
        retrieval, which piri v0.2.1 does not speak, so both are off unless asked for)."""
        self.connection = connection
        self.send_retrieval_auth = retrieval_auth
        self.own = own or SpaceGrant.of(identity)
        self.blob_path = blob_path
        self.spaces = {tenant.space.did: SpaceGrant.of(tenant) for tenant in tenants}

    def retrieval_auth(self, space: str, proofs: list[UCAN], digest: bytes, size: int) -> UCAN:
        """``space/content/retrieve`` of the whole index blob, from the agent to the service
        (``space/index/add``'s ``retrievalAuth`` fact: the service passes it to the indexer,
        which reads the index from the storage node with it)."""
        nb = {"blob": {"digest": digest}, "range": [0, max(size - 1, 0)]}
        capability = Capability(space, "space/content/retrieve", nb)
        return UCAN.issue(self.connection.agent, self.connection.audience, [capability], None,
                          proofs=[p.cid for p in proofs])  # fmt: skip

    def publish(self, stored: StoredCar, space: str | None = None, upload_root: CID | None = None) -> None:
        """Store the CAR and its index in the space, register the index (``space/index/add``)
        and, for a write that commits bucket root ``upload_root``, register that root as an
        upload whose shard is the CAR (``upload/add``)."""
        self.publish_names(stored.car.multihash, stored.index.multihash, space, upload_root, stored.car.root)

    def publish_names(
        self,
        car: str,
        index_name: str,
        space_did: str | None = None,
        upload_root: CID | None = None,
        content: CID | None = None,
    ) -> None:
        """:meth:`publish` for blobs already stored locally under these names; ``content``: the
        root the index is for (``space/index/add``'s optional ``content``, sent with the
        retrieval authorization), default ``upload_root``."""
        grant = self.own if space_did is None else self.spaces.get(space_did)
        if grant is None:
            raise ForgeUnavailable(f"no delegation for space {space_did}: its tenant is not configured")
        space, proofs, extra = grant.space, list(grant.proofs), grant.blocks
        try:
            shard = add_blob(self.connection, space, proofs, Path(self.blob_path(car)).read_bytes(), extra)
            index = add_blob(self.connection, space, proofs, Path(self.blob_path(index_name)).read_bytes(), extra)
            link = CID(CAR, SHA2_256, index.digest[2:])
            nb: dict[str, object] = {"index": link}
            facts: list[dict[str, object]] = []
            if self.send_retrieval_auth and (content or upload_root) is not None:
                nb["content"] = content or upload_root  # the upload-api then wants the fact too
                retrieval = self.retrieval_auth(space, proofs, index.digest, index.size)
                facts.append({"retrievalAuth": retrieval.cid})
                extra = (*extra, (retrieval.cid, retrieval.block))
            invocations = [self.connection.invoke(space, "space/index/add", nb, proofs, facts=facts)]
            if upload_root is not None:
                shards = [CID(CAR, SHA2_256, shard.digest[2:])]
                invocations.append(
                    self.connection.invoke(space, "upload/add", {"root": upload_root, "shards": shards}, proofs)
                )
            receipts, _ = self.connection.send(invocations, extra_blocks=extra)
        except ForgeError as exc:
            raise ForgeUnavailable(f"Forge did not take the write: {exc}") from exc
        except OSError as exc:
            raise ForgeUnavailable(f"cannot read the stored CAR to publish it: {exc}") from exc
        for (invocation, _), receipt in zip(invocations, receipts, strict=True):
            if receipt.error is not None:
                ability = invocation.capabilities[0].can
                raise ForgeUnavailable(f"{ability} refused: {receipt.error}")
