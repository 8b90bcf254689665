"""The composition root: the one place that builds the bucket service *with* its Forge
layer and the S3 application over it, from a :class:`~moto_forge.server.ServerConfig`.

Everything is passed in at construction, in dependency order: the Forge retriever (read
through for blobs not on disk) into the blob store, the outbox switch into the registry,
the publisher (sync mode: every CAR is in Forge before its commit) or the outbox shipper
(async mode) into the bucket service, and the tenants' credentials and spaces into the S3
app.  Nothing is assigned onto a built object afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moto_forge.blocks.blobstore import LocalBlobStore
from moto_forge.bucket.service import BucketService, open_stores
from moto_forge.forge.identity import Identity
from moto_forge.s3.app import S3App
from moto_forge.s3.tenancy import Tenancy

if TYPE_CHECKING:
    from moto_forge.server import ServerConfig


def compose(config: ServerConfig, *, durable: bool = True) -> S3App:
    """The S3 application and the bucket service under it, as ``config`` describes them
    (each tenant's identity loaded once, for both)."""
    identities = tenant_identities(config)
    return build_app(config, open_service(config, durable=durable, identities=identities), identities)


def tenant_identities(config: ServerConfig) -> dict[str, Identity]:
    """Every tenant identity on disk by name: the configured tenants' (made if new) and those of
    tenants since removed (writes of a removed tenant waiting in the outbox still ship to its
    space, and never block the queue)."""
    names = [tenant.name for tenant in config.tenants]
    names += [name for name in Identity.tenant_names(config.data_dir) if name not in names]
    return {name: Identity.load_or_create(config.data_dir, name) for name in names}


def open_service(
    config: ServerConfig, *, durable: bool = True, identities: dict[str, Identity] | None = None
) -> BucketService:
    """The bucket service ``config`` describes: the embedded store in its data dir, with Forge
    when ``config.forge_url`` is set.  ``durable=False``: never fsynced (a throwaway store).
    ``identities``: :func:`tenant_identities` of ``config``, if already loaded."""
    if not config.forge_url:
        return BucketService(*open_stores(config.data_dir, config.registry_url, durable=durable),
                             legacy_bucket_names=config.legacy_bucket_names)  # fmt: skip
    from moto_forge.forge.outbox import OutboxShipper
    from moto_forge.forge.retrieval import ForgeRetriever
    from moto_forge.progress import Progress

    claims = config.forge_claims or config.forge_url.rstrip("/") + "/claims"
    retriever = ForgeRetriever(claims, timeout=float(config.forge_timeout))
    asynchronous = config.write_mode == "async"
    if config.forge_no_cache and asynchronous:
        raise ValueError("--forge-no-cache needs --write-mode sync: an instance without a cache cannot hold writes")
    registry, blobs = open_stores(
        config.data_dir, config.registry_url, durable=durable, outbox=asynchronous,
        fetch=None if config.forge_no_cache else retriever.fetch,
        read_range=retriever.read_range if config.forge_no_cache else None,
    )  # fmt: skip
    tenants = list((identities if identities is not None else tenant_identities(config)).values())
    publisher = forge_publisher(config, blobs, tenants)
    shipper = OutboxShipper(registry, publisher, Progress) if asynchronous and config.ship_outbox else None
    service = BucketService(registry, blobs, publish=None if asynchronous else publisher.publish, shipper=shipper,
                            legacy_bucket_names=config.legacy_bucket_names)  # fmt: skip
    if shipper is not None:
        shipper.start()
    return service


def forge_publisher(config: ServerConfig, blobs: LocalBlobStore, tenants: list[Identity]) -> Any:
    """The publisher that stores each CAR and its index in the space that owns it."""
    from moto_forge.forge.connection import open_connection
    from moto_forge.forge.grants import load_imported
    from moto_forge.forge.publisher import ForgePublisher

    if not config.forge_did:
        raise ValueError("--forge needs --forge-did")
    identity = Identity.load_or_create(config.data_dir)
    connection = open_connection(identity.agent, config.forge_url or "", config.forge_did, config.forge_key,
                                 config.forge_did_document, float(config.forge_timeout))  # fmt: skip
    own = None
    if config.forge_space and config.forge_space != identity.space.did:
        own = load_imported(config.data_dir, config.forge_space, identity.agent.did)
    return ForgePublisher(connection, identity, blobs.path, tenants, own, config.forge_retrieval_auth)


def build_app(
    config: ServerConfig, service: BucketService | None = None, identities: dict[str, Identity] | None = None
) -> S3App:
    """The S3 application over ``service`` (default: :func:`open_service` of ``config``), with
    SigV4 and tenancy when ``config`` has credentials or tenants (``identities``: as for
    :func:`open_service`)."""
    from moto_forge.s3.sigv4 import SigV4Authenticator

    if identities is None:
        identities = tenant_identities(config)
    service = service or open_service(config, identities=identities)
    credentials = dict(config.credentials)
    spaces: dict[str, str | None] = dict.fromkeys(config.credentials)
    for tenant in config.tenants:
        if tenant.access_key in credentials:
            raise ValueError(f"access key {tenant.access_key} of tenant {tenant.name} is also the server's own key")
        credentials[tenant.access_key] = tenant.secret_key
        spaces[tenant.access_key] = identities[tenant.name].space.did
    if not credentials:
        return S3App(service)
    authenticator, tenancy = SigV4Authenticator(credentials, config.region), Tenancy(spaces)
    app = S3App(service, authenticator=authenticator, tenancy=tenancy)
    if config.tenants_path:  # keep the keys in step with the file while running
        from moto_forge.tenant_keys import TenantKeys

        def identity_of(name: str) -> Identity:
            return Identity.load_or_create(config.data_dir, name)

        app.tenant_keys = TenantKeys(config.tenants_path, dict(config.credentials), identities, authenticator,
                                     tenancy, app.backends, None if config.forge_url else identity_of)  # fmt: skip
    return app
