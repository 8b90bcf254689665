"""Group commit, the mechanism (moto_forge/bucket/commits.py) and what the bucket service
decides with it: writes queued while the bucket's commit lock is held are decided as
one batch, with the outcome of running them one after another (SQLite and PostgreSQL)."""

import contextlib
import hashlib
import io
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from moto_forge.bucket.commits import CommitQueue, CommitRequest
from moto_forge.bucket.maintenance import fsck
from moto_forge.bucket.service import BucketService, WriteResult
from moto_forge.errors import PreconditionFailed, StorageError
from moto_forge.registry import Registry
from moto_forge.turns import TurnStripes


def request(name: str) -> CommitRequest:
    return CommitRequest(name, lambda tree, car: tree, car=None, mark=(0, 0, None))  # type: ignore[arg-type]


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def queued(queue: CommitQueue, calls: list[Callable[[], Any]]) -> list[Any]:
    """Start ``calls`` on threads, each queued (in this order) while ``queue``'s lock is held,
    then let them go; return each call's result or the exception it raised."""
    outcomes: list[Any] = [None] * len(calls)
    threads = []
    with queue.lock:
        for n, call in enumerate(calls):

            def run(n: int = n, call: Callable[[], Any] = call) -> None:
                try:
                    outcomes[n] = call()
                except Exception as exc:  # the outcome under test
                    outcomes[n] = exc

            thread = threading.Thread(target=run)
            thread.start()
            threads.append(thread)
            wait_until(lambda n=n: queue.waiting() == n + 1)  # type: ignore[misc]
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


# ---- the mechanism ---------------------------------------------------------


def test_requests_queued_while_the_lock_is_held_are_decided_as_one_batch() -> None:
    queue = CommitQueue()
    batches: list[list[str]] = []

    def decide(batch: list[CommitRequest]) -> None:
        batches.append([r.operation for r in batch])
        for r in batch:
            r.decide(f"done {r.operation}")

    requests = [request(f"w{n}") for n in range(3)]
    outcomes = queued(queue, [lambda r=r: queue.run(r, decide) for r in requests])  # type: ignore[misc]
    assert batches == [["w0", "w1", "w2"]]
    assert outcomes == ["done w0", "done w1", "done w2"]
    assert queue.run(request("alone"), decide) == "done alone"
    assert batches[-1] == ["alone"]


def test_a_failing_decision_fails_every_request_of_its_batch() -> None:
    queue = CommitQueue()

    def decide(batch: list[CommitRequest]) -> None:
        batch[0].decide("first decided")
        raise StorageError("disk full")

    outcomes = queued(queue, [lambda n=n: queue.run(request(f"w{n}"), decide) for n in range(3)])  # type: ignore[misc]
    assert outcomes[0] == "first decided"
    assert all(isinstance(o, StorageError) and "disk full" in str(o) for o in outcomes[1:])


def test_a_batch_is_taken_once_the_turn_is_held() -> None:
    """Requests that queue while the leader waits for the bucket's turn (another process
    holds it) are decided in the leader's batch, not in one more batch after it."""
    queue = CommitQueue()
    batches: list[list[str]] = []
    turns: list[str] = []
    late = request("late")
    late_thread: list[threading.Thread] = []

    def decide(batch: list[CommitRequest]) -> None:
        batches.append([r.operation for r in batch])
        for r in batch:
            r.decide(f"done {r.operation}")

    @contextlib.contextmanager
    def turn() -> Iterator[None]:
        if not late_thread:  # the leader waits for the turn; meanwhile a writer queues
            late_thread.append(threading.Thread(target=queue.run, args=(late, decide)))
            late_thread[0].start()
            wait_until(lambda: queue.waiting() == 2)
        turns.append("held")
        yield

    assert queue.run(request("leader"), decide, turn) == "done leader"
    late_thread[0].join(timeout=30)
    assert batches == [["leader", "late"]] and late.result() == "done late"
    assert turns == ["held"]


def test_a_request_the_decision_forgets_fails_instead_of_hanging() -> None:
    queue = CommitQueue()
    with pytest.raises(RuntimeError, match="undecided"):
        queue.run(request("forgotten"), lambda batch: None)


# ---- what the bucket service decides ----------------------------------------


def put(service: BucketService, key: str, data: bytes, **kw: Any) -> WriteResult:
    return service.put_object("bkt", key, io.BytesIO(data), **kw)


def read(service: BucketService, key: str, root: Any = None) -> bytes:
    manifest, _ = service.head_object("bkt", key, root)
    return b"".join(service.read_body(manifest))


def count_swaps(service: BucketService) -> list[int]:
    """Record the number of steps of every ``swap_roots`` the service makes."""
    steps: list[int] = []
    original = service.registry.swap_roots

    def counted(*args: Any) -> Any:
        steps.append(len(args[2]))
        return original(*args)

    service.registry.swap_roots = counted  # type: ignore[method-assign]
    return steps


def test_a_batch_has_the_outcome_of_its_writes_run_one_after_another(service: BucketService) -> None:
    service.create_bucket("bkt")
    swaps = count_swaps(service)
    first_etag = hashlib.md5(b"first").hexdigest()
    outcomes = queued(
        service._queue("bkt"),
        [
            lambda: put(service, "a", b"first", if_none_match="*"),
            lambda: put(service, "a", b"second", if_none_match="*"),  # "a" exists by then
            lambda: put(service, "b", b"bee"),
            lambda: service.delete_object("bkt", "absent"),  # changes nothing
            lambda: put(service, "a", b"again", if_match=f'"{first_etag}"'),
        ],
    )
    assert swaps == [3]  # one registry transaction for the three writes that changed the root
    first, refused, bee, nothing, again = outcomes
    assert isinstance(refused, PreconditionFailed)
    assert [first.seq, bee.seq, nothing.seq, again.seq] == [1, 2, 2, 3]
    assert nothing.root == bee.root
    history = service.registry.history("bkt")
    assert [(h.seq, h.root, h.operation) for h in history[1:]] == [
        (1, first.root, "PutObject a"),
        (2, bee.root, "PutObject b"),
        (3, again.root, "PutObject a"),
    ]
    # every intermediate root is a whole, readable tree of its own
    assert read(service, "a", first.root) == b"first"
    assert [k for k, _ in service.tree("bkt", first.root).items()] == [b"a"]
    assert read(service, "b", bee.root) == b"bee" and read(service, "a", bee.root) == b"first"
    assert read(service, "a") == b"again"
    # the listing index followed every step in the same transaction (no rebuild needed)
    assert service.head_bucket("bkt").listed_root == again.root
    listed = service.list_objects("bkt").entries
    assert [(key, entry.etag) for key, entry in listed] == [
        ("a", hashlib.md5(b"again").hexdigest()),
        ("b", hashlib.md5(b"bee").hexdigest()),
    ]
    assert fsck(service).ok


def test_a_batch_that_loses_its_swap_is_decided_again_on_the_new_root(
    service: BucketService, registry_url: str, tmp_path: Any
) -> None:
    """Another instance (its own process lock and commit turns, as on another machine; same
    registry and blobs) writes between the batch reading the root and swapping it: the batch
    is decided again, and a condition that held on the old root fails on the new one."""
    service.create_bucket("bkt")
    other = BucketService(Registry(registry_url), service.blobs, chunk_size=1024)
    other.commit_turns = TurnStripes(str(tmp_path / "other-machine-locks"), "bucket")
    original = service.registry.swap_roots
    lost: list[Any] = []

    def interfered(*args: Any) -> Any:
        if not lost:
            put(other, "a", b"other instance")
            lost.append(original(*args))
            return lost[0]
        return original(*args)

    service.registry.swap_roots = interfered  # type: ignore[method-assign]
    refused, bee = queued(
        service._queue("bkt"),
        [lambda: put(service, "a", b"mine", if_none_match="*"), lambda: put(service, "b", b"bee")],
    )
    assert lost == [None]
    assert isinstance(refused, PreconditionFailed)
    assert isinstance(bee, WriteResult) and bee.seq == 2
    assert read(service, "a") == b"other instance" and read(service, "b") == b"bee"
    assert [h.operation for h in service.registry.history("bkt")] == ["CreateBucket", "PutObject a", "PutObject b"]
    assert fsck(service).ok
    other.registry.close()


def test_two_completions_of_one_upload_in_a_batch_complete_it_once(service: BucketService) -> None:
    service.create_bucket("bkt")
    upload = service.multipart.create("bkt", "big")
    part = service.multipart.upload_part("bkt", upload, 1, io.BytesIO(b"part one"))
    parts = [(1, part.etag)]
    done, again = queued(
        service._queue("bkt"),
        [lambda: service.multipart.complete("bkt", upload, parts) for _ in range(2)],
    )
    assert isinstance(done, WriteResult)
    # the second is answered as the first (S3's repeated completion), from the record it left
    assert isinstance(again, WriteResult) and again.manifest_cid == done.manifest_cid
    assert read(service, "big") == b"part one"
    assert service.registry.get_upload(upload) is None
    assert len(service.registry.history("bkt")) == 2


def test_a_registry_failure_fails_the_whole_batch_and_records_nothing(service: BucketService) -> None:
    service.create_bucket("bkt")
    before = service.head_bucket("bkt")

    def unreachable(*args: Any) -> Any:
        raise StorageError("cannot swap root: database is unreachable")

    service.registry.swap_roots = unreachable  # type: ignore[method-assign]
    outcomes = queued(service._queue("bkt"), [lambda: put(service, "a", b"one"), lambda: put(service, "b", b"two")])
    assert all(isinstance(o, StorageError) and "unreachable" in str(o) for o in outcomes)
    del service.registry.swap_roots  # the real method again
    after = service.head_bucket("bkt")
    assert (after.root, after.seq) == (before.root, before.seq)
    assert len(service.registry.history("bkt")) == 1
    assert put(service, "a", b"later").seq == 1  # the bucket takes writes again
