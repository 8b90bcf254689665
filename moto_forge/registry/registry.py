"""The registry: bucket -> current root with compare-and-swap, root history,
block locations, multipart uploads.  SQLite (WAL) by default, PostgreSQL by URL.

Contract: :meth:`Registry.swap_roots` (and :meth:`Registry.swap_root`, its
one-step form) is the only way a bucket's root changes.  It succeeds only if
the root is still ``expected``, and in the same transaction records one
history row per step, the blobs and block locations each step's root needs,
and (for multipart completion) consumes the uploads.  So a root in the
registry, current or in history, never points at blocks the registry cannot
locate.

The gc fence: every transaction that records blobs or moves a root first reads
the ``gc_state`` epoch (``FOR SHARE`` on PostgreSQL; SQLite serialises writers
anyway), and a gc sweep runs inside :meth:`Registry.gc_fence`, one write
transaction that locks that row and raises the epoch.  So no write commits while
a sweep decides what to delete, and a write that references blocks outside its own CAR
and its bucket's current tree (a copy source, a bucket's new empty root) passes
them as :class:`SharedBlocks` with the epoch it read them at: if a sweep ran since
and any of them lost its location, it fails with :class:`GcEpochChanged` instead
of committing a reference to a deleted blob.
"""

from __future__ import annotations

from moto_forge.registry.buckets import BucketTables
from moto_forge.registry.outbox import OutboxTable
from moto_forge.registry.uploads import UploadTables


class Registry(BucketTables, UploadTables, OutboxTable):
    """One registry database (the module doc): every table's operations, over the one
    SQL helper (:class:`~moto_forge.registry.sql.SqlRegistry`) they share.  Thread-safe."""
