"""The one error tree of moto_forge.

::

    ForgeError
    ├── CodecError                 bytes that are not what the format says
    │   ├── CIDError               malformed CID, multihash or multibase string
    │   ├── DagCborError           not strict DAG-CBOR (non-canonical, bad tag, trailing bytes, ...)
    │   └── CarError               malformed CARv1 stream
    │       ├── CarHeaderError     header missing, oversized or not {roots, version: 1}
    │       ├── CarTruncatedError  the stream ends inside a section
    │       └── CarSectionTooLargeError
    ├── BlockError                 a block that cannot be used
    │   ├── BlockHashMismatchError bytes whose hash differs from their CID (names the CID)
    │   └── MissingBlockError      a block that no store has (names the CID)
    ├── MstError                   a Merkle Search Tree that is invalid or cannot hold a key
    │   ├── InvalidKeyError        key not 1..1024 bytes of UTF-8
    │   ├── MstLimitError          a write would exceed a named work bound
    │   └── MstStructureError      a node that breaks the MST invariants
    ├── ManifestError              an object manifest that breaks its schema
    ├── StorageError               the blob store or registry failed (disk, database)
    │   └── ConflictError          a compare-and-swap kept losing (names the bucket)
    └── S3Error                    a request the bucket service refuses; carries the
        │                          S3 error ``code`` and HTTP ``status`` clients expect
        ├── NoSuchBucket, BucketAlreadyOwnedByYou, BucketNotEmpty, InvalidBucketName
        ├── NoSuchKey, InvalidRange, PreconditionFailed, InvalidArgument
        ├── NoSuchUpload, InvalidPart, InvalidPartOrder, EntityTooSmall
        └── NoSuchSnapshot (root not in the bucket's history)

Each layer raises only from this tree and translates foreign exceptions once,
with ``raise ... from exc``.  Every error carries what failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from moto_forge.ipld.cid import CID


class ForgeError(Exception):
    """Root of every error moto_forge raises on purpose."""


class CodecError(ForgeError):
    """Bytes that do not follow the format they claim."""


class CIDError(CodecError):
    """A malformed CID, multihash or multibase string."""


class DagCborError(CodecError):
    """Input that is not strict, canonical DAG-CBOR, or a value it cannot hold."""


class CarError(CodecError):
    """A malformed CARv1 stream."""


class CarHeaderError(CarError):
    """The CAR header is missing, too large, or not ``{roots, version: 1}``."""


class CarTruncatedError(CarError):
    """The CAR stream ends in the middle of a section."""


class CarSectionTooLargeError(CarError):
    """A section declares more bytes than the reader's limit allows."""

    def __init__(self, offset: int, length: int, limit: int) -> None:
        super().__init__(f"CAR section at offset {offset} declares {length} bytes, limit is {limit}")
        self.offset = offset
        self.length = length
        self.limit = limit


class BlockError(ForgeError):
    """A block that cannot be used."""


class BlockHashMismatchError(BlockError):
    """Bytes whose hash does not match the CID they were stored under."""

    def __init__(self, cid: CID, detail: str = "") -> None:
        super().__init__(f"block {cid} does not match its hash" + (f": {detail}" if detail else ""))
        self.cid = cid


class MissingBlockError(BlockError):
    """A block that the store asked does not hold."""

    def __init__(self, cid: CID, where: str = "") -> None:
        super().__init__(f"block {cid} is missing" + (f" from {where}" if where else ""))
        self.cid = cid


class MstError(ForgeError):
    """An invalid Merkle Search Tree, or an operation it cannot take."""


class InvalidKeyError(MstError):
    """A key that is not 1..1024 bytes of valid UTF-8."""

    def __init__(self, key: bytes | str, reason: str) -> None:
        shown = key if isinstance(key, str) else key[:64]
        super().__init__(f"invalid key {shown!r}: {reason}")
        self.key = key
        self.reason = reason


class MstLimitError(MstError):
    """A write that would push the tree past one of its named work bounds."""


class MstStructureError(MstError):
    """A stored node that breaks the MST invariants (order, layers, prefixes)."""


class ManifestError(ForgeError):
    """An object manifest or body index that breaks its schema."""


class StorageError(ForgeError):
    """The blob store or the registry failed underneath an operation."""


class ConflictError(StorageError):
    """A compare-and-swap on a bucket root kept losing to other writers."""

    def __init__(self, bucket: str, attempts: int) -> None:
        super().__init__(f"bucket {bucket!r}: root changed under {attempts} attempts in a row")
        self.bucket = bucket


class S3Error(ForgeError):
    """A refused request, with the S3 error code and HTTP status clients expect."""

    code = "InternalError"
    status = 500

    def __init__(self, message: str, **details: str) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def _s3(code: str, status: int, doc: str) -> type[S3Error]:
    return type(code, (S3Error,), {"code": code, "status": status, "__doc__": doc})


NoSuchBucket = _s3("NoSuchBucket", 404, "The bucket does not exist.")
BucketAlreadyOwnedByYou = _s3("BucketAlreadyOwnedByYou", 409, "The bucket exists and is yours.")
BucketNotEmpty = _s3("BucketNotEmpty", 409, "Only an empty bucket can be deleted.")
InvalidBucketName = _s3("InvalidBucketName", 400, "The name breaks S3's bucket naming rules.")
NoSuchKey = _s3("NoSuchKey", 404, "No object under that key.")
InvalidRange = _s3("InvalidRange", 416, "The requested range is not satisfiable.")
PreconditionFailed = _s3("PreconditionFailed", 412, "An If-* condition did not hold.")
InvalidArgument = _s3("InvalidArgument", 400, "An argument is malformed or out of range.")
NoSuchUpload = _s3("NoSuchUpload", 404, "No multipart upload with that id.")
InvalidPart = _s3("InvalidPart", 400, "A listed part was not uploaded or its ETag differs.")
InvalidPartOrder = _s3("InvalidPartOrder", 400, "Parts must be listed in ascending order.")
EntityTooSmall = _s3("EntityTooSmall", 400, "A part other than the last is under 5 MiB.")
KeyTooLong = _s3("KeyTooLongError", 400, "The key is longer than 1024 bytes.")
NoSuchSnapshot = _s3("NoSuchSnapshot", 404, "The root is not in the bucket's history.")
