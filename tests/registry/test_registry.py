"""Registry conformance: the same tests on SQLite and on a real PostgreSQL server."""

import re
import subprocess
import sys
import threading
import time

import pytest

from moto_forge.errors import GcEpochChanged, StorageError
from moto_forge.ipld.cid import CID, DAG_CBOR, RAW
from moto_forge.registry import (
    BlobRecord,
    BlockLocation,
    CompletedUploadRecord,
    ListingChanges,
    ListingEntry,
    PartRecord,
    Registry,
    RootStep,
    SharedBlocks,
)
from moto_forge.registry.migrations import SCHEMA_VERSION, current_version
from moto_forge.registry.records import COMPLETED_UPLOAD_SECONDS


def cid(n: int) -> CID:
    return CID.compute(DAG_CBOR, str(n).encode())


@pytest.fixture
def registry(registry_url: str) -> Registry:
    return Registry(registry_url)


def test_schema_is_migrated_once_and_reopens(registry: Registry, registry_url: str) -> None:
    assert current_version(registry.models) == SCHEMA_VERSION
    again = Registry(registry_url)
    assert current_version(again.models) == SCHEMA_VERSION
    assert again.models.SchemaVersion.select().count() == 1


def test_a_version_3_database_gains_the_outbox_space_column(registry: Registry, registry_url: str) -> None:
    """v4: an outbox made by v3 (no ``space``) is altered in place; its rows stay."""
    registry.db.execute_sql("ALTER TABLE outbox DROP COLUMN space")
    registry.db.execute_sql("INSERT INTO outbox (car, " + '"index"' + ", created, attempts) VALUES ('c', 'i', 1, 0)")
    registry.models.SchemaVersion.update(version=3).execute()
    registry.close()
    upgraded = Registry(registry_url)
    assert current_version(upgraded.models) == SCHEMA_VERSION == 13
    assert "space" in {c.name for c in upgraded.db.get_columns("outbox")}
    entry = upgraded.outbox_next()
    assert entry is not None and entry.car == "c" and entry.space is None
    upgraded.close()


def test_a_version_4_database_gains_the_gc_epoch(registry: Registry, registry_url: str) -> None:
    """v5: the gc_state table with its one row (epoch 0) appears; a fence raises the epoch."""
    registry.db.execute_sql("DROP TABLE gc_state")
    registry.models.SchemaVersion.update(version=4).execute()
    registry.close()
    upgraded = Registry(registry_url)
    assert current_version(upgraded.models) == SCHEMA_VERSION
    assert upgraded.gc_epoch() == 0
    with upgraded.gc_fence() as epoch:
        assert epoch == 1
    assert upgraded.gc_epoch() == 1
    upgraded.close()


def test_a_version_6_database_gains_completed_uploads(registry: Registry, registry_url: str) -> None:
    """v7: the completed_upload table appears; a completion recorded there is found, and
    one older than a day is not (and is deleted by the next record)."""
    registry.db.execute_sql("DROP TABLE completed_upload")
    registry.models.SchemaVersion.update(version=6).execute()
    registry.close()
    upgraded = Registry(registry_url)
    assert current_version(upgraded.models) == SCHEMA_VERSION == 13
    manifest = CID.compute(DAG_CBOR, b"manifest")
    now = time.time()
    old = CompletedUploadRecord("old", "b", "k", "digest", manifest, None, now - COMPLETED_UPLOAD_SECONDS - 10)
    upgraded.record_completed(old)
    assert upgraded.get_completed("old") is None
    upgraded.record_completed(CompletedUploadRecord("new", "b", "k", "digest", manifest, "v1", now))
    assert upgraded.get_completed("new") == CompletedUploadRecord("new", "b", "k", "digest", manifest, "v1", now)
    assert upgraded.models.CompletedUpload.select().count() == 1  # the old row went with the new record
    upgraded.close()


def test_a_version_5_database_gains_the_listing_storage_class(registry: Registry, registry_url: str) -> None:
    """v6: the listing index gains ``storage`` (the storage class when not STANDARD); rows
    written before keep NULL (STANDARD, all objects then were)."""
    registry.db.execute_sql("ALTER TABLE listing_entry DROP COLUMN storage")
    p = registry.db.param
    registry.db.execute_sql(
        f"INSERT INTO listing_entry (bucket, key, manifest, size, etag, created) VALUES ('b', {p}, 'm', 1, 'e', 1)",
        (b"k",),
    )
    registry.models.SchemaVersion.update(version=5).execute()
    registry.close()
    upgraded = Registry(registry_url)
    assert current_version(upgraded.models) == SCHEMA_VERSION == 13
    assert [entry.storage for _, entry in upgraded.listing_entries("b")] == [None]
    upgraded.close()


def test_a_write_with_an_epoch_a_sweep_passed_records_nothing(registry: Registry) -> None:
    """The gc fence: a step whose shared blocks were read before the last sweep, and one of
    which is no longer located, fails the swap (GcEpochChanged names it) and the registry is
    left as it was; a step whose shared blocks all survived, or read after the sweep, commits."""
    assert registry.create_bucket("b", cid(0))
    before = registry.gc_epoch()
    with registry.gc_fence():
        pass
    fresh = RootStep(cid(1), "fresh", shared=SharedBlocks(registry.gc_epoch(), (cid(7),)))
    located = RootStep(cid(2), "kept", shared=SharedBlocks(before, ()))
    stale = RootStep(cid(3), "stale", shared=SharedBlocks(before, (cid(7),)))
    with pytest.raises(GcEpochChanged) as caught:
        registry.swap_roots("b", cid(0), [fresh, located, stale])
    assert caught.value.steps == (2,)
    record = registry.get_bucket("b")
    assert record is not None and record.root == cid(0) and record.seq == 0
    with pytest.raises(GcEpochChanged):
        registry.create_bucket("c", cid(0), shared=SharedBlocks(before, (cid(7),)))
    assert registry.get_bucket("c") is None
    assert registry.swap_roots("b", cid(0), [fresh, located]) == [1, 2]


def test_compare_and_swap(registry: Registry) -> None:
    assert registry.create_bucket("b", cid(0))
    assert not registry.create_bucket("b", cid(9))
    assert registry.swap_root("b", cid(0), cid(1), "put a") == 1
    assert registry.swap_root("b", cid(0), cid(2), "stale writer") is None
    assert registry.get_bucket("b").root == cid(1)  # type: ignore[union-attr]
    assert [(r.seq, r.root, r.operation) for r in registry.history("b")] == [
        (0, cid(0), "CreateBucket"),
        (1, cid(1), "put a"),
    ]
    assert registry.has_root("b", cid(1)) and not registry.has_root("b", cid(2))


def test_swap_records_blocks_atomically(registry: Registry) -> None:
    registry.create_bucket("b", cid(0))
    loc = BlockLocation(CID.compute(RAW, b"x"), "zBlob", 10, 1)
    blob = BlobRecord("zBlob", 100, "car", cid(1), [loc])
    assert registry.swap_root("b", cid(5), cid(1), "lost", [blob]) is None
    assert registry.locate(loc.cid) is None  # the loser recorded nothing
    assert registry.swap_root("b", cid(0), cid(1), "won", [blob]) == 1
    assert registry.locate(loc.cid) == loc
    assert registry.blocks_in("zBlob") == [loc.cid]


@pytest.mark.parametrize("returning", [True, False], ids=["returning", "select-after"])
def test_a_swap_reads_the_new_seq_whichever_way_the_database_allows(registry: Registry, returning: bool) -> None:
    """The swap's seq comes from ``UPDATE ... RETURNING`` or, on SQLite before 3.35, a
    SELECT after it: the same answers either way, also when a root comes back (A-B-A)."""
    if not returning:
        registry.__dict__["_swap_returning"] = ""  # as on an old SQLite
    else:
        assert registry._swap_returning  # this machine's SQLite and PostgreSQL have it
    entry = ListingEntry("k", "m", 1, "e", 1, None)
    registry.create_bucket("b", cid(0), empty=True)
    assert registry.swap_roots("b", cid(0), [RootStep(cid(1), "put", listing=ListingChanges([entry]))]) == [1]
    assert registry.swap_roots("b", cid(1), [RootStep(cid(0), "delete", listing=ListingChanges([], ["k"]))]) == [2]
    assert registry.swap_roots("b", cid(5), [RootStep(cid(1), "stale")]) is None
    assert registry.swap_roots("b", cid(0), [RootStep(cid(1), "put"), RootStep(cid(2), "put")]) == [3, 4]
    record = registry.get_bucket("b")
    assert record is not None and (record.root, record.seq, record.listed_root) == (cid(2), 4, cid(0))  # stale index


def test_a_commit_reads_the_bucket_and_the_gc_epoch_together(registry: Registry) -> None:
    registry.create_bucket("b", cid(0))
    record, epoch = registry.get_bucket_at_epoch("b")
    assert record == registry.get_bucket("b") and epoch == registry.gc_epoch()
    with registry.gc_fence():
        pass
    record, later = registry.get_bucket_at_epoch("b")
    assert later == epoch + 1 and record is not None and record.root == cid(0)
    assert registry.get_bucket_at_epoch("missing") == (None, later)


def test_a_bucket_record_is_kept_between_writes_and_reread_after_any(
    registry: Registry, registry_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: a record read while no write is under way is served from memory until a
    write (this process's, or another's: ``other`` maps the same stamp file) begins;
    PostgreSQL (no stamp): every call reads."""
    reads: list[str] = []
    read = registry._read_bucket
    monkeypatch.setattr(registry, "_read_bucket", lambda name: reads.append(name) or read(name))
    other = Registry(registry_url)
    assert other.create_bucket("b", cid(0))
    for _ in range(3):
        assert registry.get_bucket("b").root == cid(0)  # type: ignore[union-attr]
        assert registry.get_bucket("nope") is None
    cached = registry.stamp is not None
    assert len(reads) == (2 if cached else 6)
    assert other.swap_root("b", cid(0), cid(1), "put") == 1
    assert registry.get_bucket("b").root == cid(1)  # type: ignore[union-attr]
    with other._write():  # a write under way elsewhere: nothing from memory
        before = len(reads)
        assert registry.get_bucket("b").root == cid(1)  # type: ignore[union-attr]
        assert registry.get_bucket("b").root == cid(1)  # type: ignore[union-attr]
        assert len(reads) == before + 2
    script = (
        "import sys; from moto_forge.registry import Registry; from tests.registry.test_registry import cid; "
        "assert Registry(sys.argv[1]).swap_root('b', cid(1), cid(2), 'put') == 2"
    )
    subprocess.run([sys.executable, "-c", script, registry_url], check=True)
    assert registry.get_bucket("b").root == cid(2)  # type: ignore[union-attr]  # another process wrote
    other.close()


@pytest.mark.parametrize("returning", [True, False], ids=["returning", "select-after"])
def test_a_swap_keeps_the_record_it_left_until_another_write_begins(
    registry: Registry, registry_url: str, monkeypatch: pytest.MonkeyPatch, returning: bool
) -> None:
    """SQLite: the process that swapped a root reads the bucket's new record from memory,
    whichever way the swap read the row back; a lost swap keeps nothing, and any other
    write (here another registry's, on the same file) makes the next call read again."""
    if not returning:
        registry.__dict__["_swap_returning"] = ""
    reads: list[str] = []
    read = registry._read_bucket
    monkeypatch.setattr(registry, "_read_bucket", lambda name: reads.append(name) or read(name))
    registry.create_bucket("b", cid(0), empty=True)
    entry = ListingEntry("k", "m", 1, "e", 1, None)
    assert registry.swap_roots("b", cid(0), [RootStep(cid(1), "put", listing=ListingChanges([entry]))]) == [1]
    expected = (cid(1), 1, cid(1), None)
    record = registry.get_bucket("b")
    assert record is not None and (record.root, record.seq, record.listed_root, record.space) == expected
    assert record == read("b")  # the same record a query gives
    assert reads == ([] if registry.stamp is not None else ["b"])
    assert registry.swap_roots("b", cid(7), [RootStep(cid(2), "stale")]) is None  # lost: a query again
    assert registry.get_bucket("b").root == cid(1)  # type: ignore[union-attr]
    other = Registry(registry_url)
    assert other.swap_root("b", cid(1), cid(3), "put") == 2
    assert registry.get_bucket("b").root == cid(3)  # type: ignore[union-attr]
    other.close()


def test_first_location_of_a_block_wins(registry: Registry) -> None:
    block = CID.compute(RAW, b"dup")
    registry.add_blobs([BlobRecord("zA", 10, "car", None, [BlockLocation(block, "zA", 1, 3)])])
    registry.add_blobs([BlobRecord("zB", 10, "car", None, [BlockLocation(block, "zB", 5, 3)])])
    assert registry.locate(block).blob == "zA"  # type: ignore[union-attr]


def test_consuming_an_upload_is_part_of_the_swap(registry: Registry) -> None:
    registry.create_bucket("b", cid(0))
    registry.create_upload("u1", "b", "key", {"content_type": "text/plain"})
    part = PartRecord(1, 5, "ab" * 16, cid(7), {}, 1.0)
    assert registry.put_part("u1", part, [])
    assert registry.list_parts("u1") == [part]
    assert registry.swap_root("b", cid(0), cid(1), "complete", consume_upload="u1") == 1
    assert registry.get_upload("u1") is None and registry.list_parts("u1") == []
    assert registry.swap_root("b", cid(1), cid(2), "complete again", consume_upload="u1") is None
    assert registry.get_bucket("b").root == cid(1)  # type: ignore[union-attr]
    assert not registry.put_part("u1", part, [])


def test_swap_roots_records_every_step_in_one_transaction(registry: Registry) -> None:
    registry.create_bucket("b", cid(0), empty=True)
    entry = ListingEntry("k", "m", 1, "e", 1, None)
    locs = [BlockLocation(CID.compute(RAW, bytes([n])), f"zCar{n}", 0, 1) for n in (1, 2)]
    steps = [
        RootStep(cid(1), "put k", (BlobRecord("zCar1", 9, "car", cid(1), [locs[0]]),), None, ListingChanges([entry])),
        RootStep(
            cid(2), "delete k", (BlobRecord("zCar2", 9, "car", cid(2), [locs[1]]),), None, ListingChanges([], ["k"])
        ),
    ]
    assert registry.swap_roots("b", cid(5), steps) is None  # lost: nothing recorded
    assert registry.locate(locs[0].cid) is None and registry.get_bucket("b").seq == 0  # type: ignore[union-attr]
    assert registry.swap_roots("b", cid(0), steps) == [1, 2]
    record = registry.get_bucket("b")
    assert record is not None and (record.root, record.seq, record.listed_root) == (cid(2), 2, cid(2))
    assert [(r.seq, r.root, r.operation) for r in registry.history("b")][1:] == [
        (1, cid(1), "put k"),
        (2, cid(2), "delete k"),
    ]
    assert [registry.locate(loc.cid) for loc in locs] == locs
    assert list(registry.listing_entries("b")) == []  # put, then removed, in step order


def test_a_batch_queues_each_step_s_index_in_the_outbox_in_order(registry: Registry) -> None:
    """Async Forge mode: each step's index blob enters the outbox with the root its
    step produced, oldest first; other blobs do not."""
    registry.outbox = True
    registry.create_bucket("b", cid(0))
    steps = [
        RootStep(
            cid(n),
            f"put {n}",
            (BlobRecord(f"zCar{n}", 9, "car", cid(n)), BlobRecord(f"zIdx{n}", 9, "index", shard=f"zCar{n}")),
        )
        for n in (1, 2)
    ]
    assert registry.swap_roots("b", cid(0), steps) == [1, 2]
    shipped = []
    while (entry := registry.outbox_next()) is not None:
        shipped.append((entry.bucket, entry.root, entry.car, entry.index, entry.attempts))
        registry.outbox_done(entry)
    assert shipped == [("b", cid(1), "zCar1", "zIdx1", 0), ("b", cid(2), "zCar2", "zIdx2", 0)]
    assert registry.get_bucket("b").forge_root == cid(2)  # type: ignore[union-attr]


def test_a_step_consuming_a_missing_upload_loses_the_whole_swap(registry: Registry) -> None:
    registry.create_bucket("b", cid(0))
    registry.create_upload("u1", "b", "key", {})
    steps = [RootStep(cid(1), "complete", consume_upload="u1"), RootStep(cid(2), "complete", consume_upload="gone")]
    assert registry.swap_roots("b", cid(0), steps) is None
    assert registry.get_upload("u1") is not None and registry.get_bucket("b").root == cid(0)  # type: ignore[union-attr]


def test_delete_bucket_only_at_expected_root(registry: Registry) -> None:
    registry.create_bucket("b", cid(0))
    assert not registry.delete_bucket("b", cid(1))
    assert registry.delete_bucket("b", cid(0))
    assert registry.get_bucket("b") is None and registry.history("b") == []


def test_prune_history_and_forget_blob(registry: Registry) -> None:
    registry.create_bucket("b", cid(0))
    for n in range(1, 5):
        registry.swap_root("b", cid(n - 1), cid(n), f"op {n}")
    assert registry.prune_history("b", {3, 4}) == 3
    assert [r.seq for r in registry.history("b")] == [3, 4]
    loc = BlockLocation(cid(99), "zC", 0, 1)
    registry.add_blobs([BlobRecord("zC", 1, "car", None, [loc]), BlobRecord("zI", 1, "index", None, shard="zC")])
    registry.forget_blob("zC")
    assert registry.locate(cid(99)) is None and registry.list_blobs() == []


def test_threads_racing_on_one_root_never_lose_an_update(registry: Registry) -> None:
    registry.create_bucket("b", cid(0))
    wins: list[int] = []

    def writer(n: int) -> None:
        while True:
            current = registry.get_bucket("b").root  # type: ignore[union-attr]
            if registry.swap_root("b", current, cid(1000 + n), f"w{n}") is not None:
                wins.append(n)
                return

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == list(range(8))
    assert len(registry.history("b")) == 9
    assert len({r.seq for r in registry.history("b")}) == 9


def test_unreachable_database_is_a_storage_error() -> None:
    with pytest.raises(StorageError) as info:
        Registry("postgresql://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in str(info.value)  # the URL is shown without credentials


@pytest.mark.parametrize("url", ["mysql://user@host/db", "sqlite3:///x.db", "redis://localhost"])
def test_an_unsupported_registry_url_is_one_clear_error(url: str) -> None:
    with pytest.raises(StorageError, match=re.escape("is not supported: use sqlite:////absolute/path.sqlite3 ")):
        Registry(url)


def test_a_version_7_database_gains_the_history_actor(registry: Registry, registry_url: str) -> None:
    """v8: root_history gains ``actor``; rows recorded before it have none, new rows keep theirs."""
    registry.create_bucket("b", cid(0))
    registry.db.execute_sql("ALTER TABLE root_history DROP COLUMN actor")
    registry.models.SchemaVersion.update(version=7).execute()
    registry.close()
    upgraded = Registry(registry_url)
    assert current_version(upgraded.models) == SCHEMA_VERSION
    assert [r.actor for r in upgraded.history("b")] == [None]
    upgraded.swap_roots("b", cid(0), [RootStep(cid(1), "PutObject", actor="key:AKIDEXAMPLE")])
    recorded = [(r.operation, r.actor) for r in upgraded.history("b")]
    assert recorded == [("CreateBucket", None), ("PutObject", "key:AKIDEXAMPLE")]
    upgraded.close()


def test_a_version_8_database_gains_block_crcs(registry: Registry, registry_url: str) -> None:
    """v9: ``block.crc``; locations recorded before have none (their reads hash the CID)."""
    old = BlockLocation(cid(1), "blob-a", 0, 10)
    registry.add_blobs([BlobRecord("blob-a", 10, "car", None, [old])])
    registry.db.execute_sql("ALTER TABLE block DROP COLUMN crc")
    registry.models.SchemaVersion.update(version=8).execute()
    registry.close()
    upgraded = Registry(registry_url)
    assert current_version(upgraded.models) == SCHEMA_VERSION
    assert upgraded.locate(cid(1)) == old
    new = BlockLocation(cid(2), "blob-b", 0, 10, 0xDEADBEEF)
    upgraded.add_blobs([BlobRecord("blob-b", 10, "car", None, [new])])
    assert upgraded.locate(cid(2)) == new
    upgraded.close()


def test_a_version_9_database_gains_the_blob_journal(registry: Registry, registry_url: str) -> None:
    """v10: ``blob_journal``; a swap carries its rows in the same transaction (a lost swap
    none), and trimming up to the newest id empties it."""
    registry.db.execute_sql("DROP TABLE blob_journal")
    registry.models.SchemaVersion.update(version=9).execute()
    registry.close()
    upgraded = Registry(registry_url)
    assert current_version(upgraded.models) == SCHEMA_VERSION
    assert upgraded.journaling == registry_url.startswith("sqlite")  # PostgreSQL: files synced first
    assert upgraded.journal_high_water() == 0
    upgraded.create_bucket("b", cid(0))
    assert upgraded.swap_roots("b", cid(5), [RootStep(cid(1), "PutObject")], journal=[("blob-x", b"x")]) is None
    assert upgraded.journal_high_water() == 0  # the lost swap journalled nothing
    upgraded.swap_roots("b", cid(0), [RootStep(cid(1), "PutObject")], journal=[("blob-a", b"a"), ("blob-b", b"bb")])
    upto = upgraded.journal_high_water()
    assert [(name, data) for _, name, data in upgraded.journal_entries(upto)] == [("blob-a", b"a"), ("blob-b", b"bb")]
    assert sorted(upgraded.journal_names(upto)) == ["blob-a", "blob-b"]
    assert upgraded.forget_journal(upgraded.journal_rows(upto)) == 2
    assert upgraded.journal_high_water() == 0
    upgraded.close()


def test_trimming_the_journal_spares_a_newer_row_that_took_an_old_id(registry: Registry) -> None:
    """Once the journal is empty SQLite may reuse row ids: a flusher that read rows earlier
    deletes exactly the rows it read (id and blob), never a newer row with an old id."""
    registry.create_bucket("b", cid(0))
    registry.swap_roots("b", cid(0), [RootStep(cid(1), "PutObject")], journal=[("blob-a", b"a"), ("blob-b", b"b")])
    stale = registry.journal_rows(registry.journal_high_water())
    assert registry.forget_journal(stale) == 2  # another flusher trimmed them
    registry.swap_roots("b", cid(1), [RootStep(cid(2), "PutObject")], journal=[("blob-c", b"c")])
    fresh = registry.journal_rows(registry.journal_high_water())
    assert registry.forget_journal(stale) == 0  # the late flusher's rows: none of them is the new one
    assert registry.journal_rows(registry.journal_high_water()) == fresh
    assert registry.unplaced_blob("blob-c") == b"c"
    assert registry.unplaced_blob("blob-a") is None


def test_inline_blobs_come_and_go_with_their_blob_rows(registry: Registry) -> None:
    """A root swap keeps its ``inline`` blobs' bytes (a name held twice: the same bytes, kept
    once); forgetting a CAR (gc) drops its bytes and its index's with the rows."""
    registry.create_bucket("b", cid(0))
    car = BlobRecord("zCar", 3, "car", cid(1), [])
    index = BlobRecord("zCar-index", 2, "index", cid(1), [], shard="zCar")
    step = RootStep(cid(1), "PutObject", (car, index))
    registry.swap_roots("b", cid(0), [step], inline=[("zCar", b"car"), ("zCar-index", b"ix")])
    registry.swap_roots("b", cid(1), [RootStep(cid(2), "PutObject")], inline=[("zCar", b"car")])
    assert registry.unplaced_blob("zCar") == b"car" and registry.unplaced_blob("zCar-index") == b"ix"
    assert registry.journal_high_water() == 0  # inline bytes are not journal rows
    registry.forget_blob("zCar")
    assert registry.unplaced_blob("zCar") is None and registry.unplaced_blob("zCar-index") is None


def test_a_version_12_database_gains_inline_blobs(registry: Registry, registry_url: str) -> None:
    """v13: the ``blob_inline`` table; a v12 journal row is still read as a blob's bytes
    (until the store's replay places its file)."""
    registry.db.execute_sql("DROP TABLE blob_inline")
    registry.models.SchemaVersion.update(version=12).execute()
    registry.create_bucket("b", cid(0))
    registry.swap_roots("b", cid(0), [RootStep(cid(1), "PutObject")], journal=[("zOld", b"old")])
    registry.close()
    upgraded = Registry(registry_url)
    try:
        assert current_version(upgraded.models) == SCHEMA_VERSION == 13
        assert upgraded.unplaced_blob("zOld") == b"old"
        upgraded.swap_roots("b", cid(1), [RootStep(cid(2), "PutObject")], inline=[("zNew", b"new")])
        assert upgraded.unplaced_blob("zNew") == b"new"
    finally:
        upgraded.close()


def test_a_version_10_database_gains_instances(registry: Registry, registry_url: str) -> None:
    """v11: the embedded store's claim (first data dir wins, it may claim again, another
    is named back), and outbox entries an instance ships: its own and pre-v11 ones only."""
    registry.db.execute_sql("DROP TABLE embedded_store")
    registry.db.execute_sql("ALTER TABLE outbox DROP COLUMN store")
    registry.db.execute_sql("INSERT INTO outbox (car, " + '"index"' + ", created, attempts) VALUES ('old', 'i', 1, 0)")
    registry.models.SchemaVersion.update(version=10).execute()
    registry.close()
    a = Registry(registry_url, outbox=True, store_id="a" * 32)
    b = Registry(registry_url, outbox=True, store_id="b" * 32)
    try:
        assert current_version(a.models) == SCHEMA_VERSION
        assert a.claim_embedded("a" * 32) is None
        assert a.claim_embedded("a" * 32) is None  # again: still ours
        assert b.claim_embedded("b" * 32) == "a" * 32
        root = cid(9)
        a.add_blobs([BlobRecord("zA-index", 1, "index", root, [], shard="zA")])
        b.add_blobs([BlobRecord("zB-index", 1, "index", root, [], shard="zB")])
        first_a, first_b = a.outbox_next(), b.outbox_next()
        assert first_a is not None and first_b is not None
        assert first_a.car == first_b.car == "old"  # written before v11: either may ship it
        b.outbox_done(first_b)
        entry = a.outbox_next()
        assert entry is not None and entry.car == "zA"  # never B's entry: A lacks its files
        a.outbox_done(entry)
        assert a.outbox_next() is None
        entry = b.outbox_next()
        assert entry is not None and entry.car == "zB"
    finally:
        a.close()
        b.close()
