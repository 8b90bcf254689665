"""Everything a bucket root reaches: its node and configuration, MST nodes, manifests, body
indexes, chunks.

Shared by export, fsck and gc so the three agree on what a bucket holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from moto_forge.bucket.root import decode_config, load_root
from moto_forge.bucket.versions import decode_versions
from moto_forge.errors import BlockError, ManifestError, MstError
from moto_forge.ipld.blocks import BlockSource
from moto_forge.ipld.cid import CID
from moto_forge.mst import NodeLoader
from moto_forge.mst.verify import walk_nodes
from moto_forge.objects import ObjectManifest
from moto_forge.objects.body import iter_links

OnError = Callable[[CID, Exception], None]


def reachable(
    source: BlockSource, loader: NodeLoader, root: CID, seen: set[CID], on_error: OnError | None = None
) -> Iterator[CID]:
    """Yield each block CID reachable from the bucket root ``root`` not already in ``seen``
    (and add it): the root node, its configuration document, and everything its objects
    MST reaches.

    Structured blocks are read (verified) to find their links; chunks are
    only named.  Without ``on_error`` the first unreadable block raises; with
    it, the problem is reported and the walk goes on past it.
    """
    if root in seen:
        return
    try:
        node = load_root(source, root)
        if node.config is not None:
            decode_config(source.get(node.config), node.config)
    except (BlockError, ManifestError) as exc:
        if on_error is None:
            raise
        on_error(root, exc)
        return
    if node.objects != root:  # a node (an older store's root is the MST root itself)
        seen.add(root)
        yield root
    if node.config is not None and node.config not in seen:
        seen.add(node.config)
        yield node.config
    yield from objects_reachable(source, loader, node.objects, seen, on_error)
    if node.versions is not None:
        yield from versions_reachable(source, loader, node.versions, seen, on_error)


def versions_reachable(
    source: BlockSource, loader: NodeLoader, root: CID, seen: set[CID], on_error: OnError | None = None
) -> Iterator[CID]:
    """:func:`reachable` from a versions MST root: its nodes, version lists, and every
    version's manifest and body (old versions are kept blocks)."""
    for node_cid, values in walk_nodes(loader, root, on_error, skip=seen.__contains__):
        seen.add(node_cid)
        yield node_cid
        for list_cid in values:
            if list_cid in seen:
                continue
            seen.add(list_cid)
            yield list_cid
            try:
                versions = decode_versions(source.get(list_cid), list_cid)
            except (BlockError, ManifestError) as exc:
                if on_error is None:
                    raise
                on_error(list_cid, exc)
                continue
            for version in versions:
                if version.manifest is not None:
                    yield from _manifest_blocks(source, version.manifest, seen, on_error)


def objects_reachable(
    source: BlockSource, loader: NodeLoader, root: CID, seen: set[CID], on_error: OnError | None = None
) -> Iterator[CID]:
    """:func:`reachable` from an objects MST root: its nodes, manifests and bodies."""
    for node_cid, values in walk_nodes(loader, root, on_error, skip=seen.__contains__):
        seen.add(node_cid)
        yield node_cid
        for manifest_cid in values:
            yield from _manifest_blocks(source, manifest_cid, seen, on_error)


def _manifest_blocks(source: BlockSource, manifest_cid: CID, seen: set[CID], on_error: OnError | None) -> Iterator[CID]:
    """A manifest and its body's blocks, those not in ``seen`` (added)."""
    if manifest_cid in seen:
        return
    seen.add(manifest_cid)
    yield manifest_cid
    try:
        manifest = ObjectManifest.decode(source.get(manifest_cid), manifest_cid)
        yield from body_blocks(source, manifest, seen)
    except (BlockError, ManifestError, MstError) as exc:
        if on_error is None:
            raise
        on_error(manifest_cid, exc)


def body_blocks(source: BlockSource, manifest: ObjectManifest, seen: set[CID]) -> Iterator[CID]:
    for cid in iter_links(source, manifest.body.format, manifest.body.root):
        if cid not in seen:
            seen.add(cid)
            yield cid


def part_blocks(source: BlockSource, part_root: CID, seen: set[CID]) -> Iterator[CID]:
    """Blocks of an uploaded (not yet completed) part."""
    for cid in iter_links(source, "fixed-v1", part_root):
        if cid not in seen:
            seen.add(cid)
            yield cid
