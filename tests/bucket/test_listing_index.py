"""The listing index (registry/listing.py) always answers what the MST holds:
after every kind of write, after writes that leave it stale, after an import and
after a migration from a registry that never had it.  Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import io
import random

from moto_forge.bucket.service import BucketService
from moto_forge.bucket.snapshots import export_car, import_car
from moto_forge.registry import ListingEntry


def from_index(service: BucketService, bucket: str) -> list[ListingEntry]:
    """Every entry, as listings of the current root serve them (the index)."""
    return [entry for _, entry in service.list_objects(bucket, max_keys=100_000).entries]


def from_tree(service: BucketService, bucket: str) -> list[ListingEntry]:
    """Every entry, read the slow way: MST walk and one manifest per key."""
    tree = service.tree(bucket)
    return [entry for _, entry in service.entries_of_tree(tree)]


def test_every_kind_of_write_keeps_the_index_current(service: BucketService) -> None:
    service.create_bucket("idx")
    rng = random.Random(7)
    keys = [f"dir{rng.randrange(4)}/{rng.randrange(60):03d}\u00e9" for _ in range(120)]
    for step, key in enumerate(keys):
        action = rng.random()
        if action < 0.6:
            service.put_object("idx", key, io.BytesIO(rng.randbytes(rng.randrange(1, 3000))))  # type: ignore[arg-type]
        elif action < 0.75:
            service.delete_object("idx", key)
        elif action < 0.85:
            service.delete_objects("idx", rng.sample(keys, 5))
        elif action < 0.95:
            source = from_tree(service, "idx")
            if source:
                service.copy_object("idx", rng.choice(source).key, "idx", key + ".copy")
        else:
            source = from_tree(service, "idx")
            if source:
                service.set_object_tags("idx", rng.choice(source).key, {"n": str(step)})
        record = service.head_bucket("idx")
        assert record.listed_root == record.root  # every write moved the index along
    assert from_index(service, "idx") == from_tree(service, "idx")
    assert len(from_index(service, "idx")) > 10


def test_a_write_that_does_not_say_what_it_changed_leaves_it_stale_then_rebuilt(service: BucketService) -> None:
    service.create_bucket("stale")
    for i in range(5):
        service.put_object("stale", f"k{i}", io.BytesIO(b"x" * i))  # type: ignore[arg-type]
    raw_delete = lambda state, car: dataclasses.replace(state, objects=state.objects.delete("k2"))  # noqa: E731
    service.commit("stale", "raw delete", raw_delete)  # no ListingChanges
    record = service.head_bucket("stale")
    assert record.listed_root != record.root
    assert [e.key for e in from_index(service, "stale")] == ["k0", "k1", "k3", "k4"]  # rebuilt on use
    record = service.head_bucket("stale")
    assert record.listed_root == record.root


def test_older_roots_are_listed_from_their_tree(service: BucketService) -> None:
    service.create_bucket("old")
    first = service.put_object("old", "a", io.BytesIO(b"1")).root  # type: ignore[arg-type]
    service.put_object("old", "b", io.BytesIO(b"22"))  # type: ignore[arg-type]
    then = service.list_objects("old", root=first)
    assert [(k, e.size) for k, e in then.entries] == [("a", 1)]
    assert [e.key for e in from_index(service, "old")] == ["a", "b"]


def test_imported_buckets_are_indexed_on_first_listing(service: BucketService, tmp_path) -> None:  # type: ignore[no-untyped-def]
    service.create_bucket("src")
    for i in range(7):
        service.put_object("src", f"obj/{i}", io.BytesIO(bytes([i]) * (i + 1)))  # type: ignore[arg-type]
    car = tmp_path / "src.car"
    with open(car, "wb") as out:
        export_car(service, "src", out)
    with open(car, "rb") as stream:
        import_car(service, stream, "dst")
    assert service.head_bucket("dst").listed_root is None
    assert from_index(service, "dst") == from_tree(service, "dst") == from_tree(service, "src")


def test_a_registry_from_before_the_index_migrates_and_lists(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = str(tmp_path / "data")
    service = BucketService.open(data)
    service.create_bucket("legacy")
    for i in range(3):
        service.put_object("legacy", f"k{i}", io.BytesIO(b"v"))  # type: ignore[arg-type]
    db = service.registry.db
    db.execute_sql("DROP TABLE listing_entry")  # back to schema version 2
    db.execute_sql("ALTER TABLE bucket DROP COLUMN listed_root")
    db.execute_sql("UPDATE schema_version SET version = 2")
    service.close()

    service = BucketService.open(data)
    try:
        assert [c.name for c in service.registry.db.get_columns("bucket") if c.name == "listed_root"]
        assert service.head_bucket("legacy").listed_root is None
        assert [e.key for e in from_index(service, "legacy")] == ["k0", "k1", "k2"]
    finally:
        service.close()


def test_fsck_finds_an_index_that_lies_and_the_next_listing_repairs_it(service: BucketService) -> None:
    from moto_forge.bucket.maintenance import fsck

    service.create_bucket("lies")
    for i in range(4):
        service.put_object("lies", f"k{i}", io.BytesIO(b"v" * i))  # type: ignore[arg-type]
    assert fsck(service).problems == []
    p = service.registry.db.param
    service.registry.db.execute_sql(f"UPDATE listing_entry SET size = 999 WHERE key = {p}", (b"k2",))
    problems = fsck(service).problems
    assert len(problems) == 1 and "listing index differs" in problems[0] and "k2" in problems[0]
    assert service.head_bucket("lies").listed_root is None
    assert [e.size for e in from_index(service, "lies")] == [0, 1, 2, 3]
    assert fsck(service).problems == []
