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
    │       └── BlobUnavailableError  not on disk, and Forge did not serve verified bytes (503)
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
        ├── AccessForbidden, BadRequest (CORS preflights)
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


class BlobUnavailableError(MissingBlockError):
    """A blob missing on disk that Forge could not deliver, verified, this time (retryable)."""


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


class GcEpochChanged(StorageError):
    """A gc sweep ran between a write reading what it references and its commit (the
    gc fence, registry.py): the write must read its sources again."""

    def __init__(self, steps: tuple[int, ...] = ()) -> None:
        super().__init__("a garbage collection ran while this write was in progress; retry")
        self.steps = steps


class BlobsSwept(GcEpochChanged):
    """A gc sweep ran between a write placing its blob files and its commit: a file it
    placed may be one the sweep deleted (an identical, unreachable blob of the same name),
    so the write must place its files again before it records them."""

    def __init__(self) -> None:
        super().__init__()


class S3Error(ForgeError):
    """A refused request, with the S3 error code and HTTP status clients expect."""

    code = "InternalError"
    status = 500

    def __init__(self, message: str, **details: str) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers: dict[str, str] = {}
        """Response headers the error carries besides its XML (``x-amz-delete-marker``, ...)."""

    def with_headers(self, **headers: str) -> S3Error:
        """This error, carrying ``headers`` (names with ``_`` for ``-``)."""
        self.headers.update({name.replace("_", "-"): value for name, value in headers.items()})
        return self


class NoSuchBucket(S3Error):
    """The bucket does not exist."""

    code = "NoSuchBucket"
    status = 404


class BucketAlreadyOwnedByYou(S3Error):
    """The bucket exists and is yours."""

    code = "BucketAlreadyOwnedByYou"
    status = 409


class BucketNotEmpty(S3Error):
    """Only an empty bucket can be deleted."""

    code = "BucketNotEmpty"
    status = 409


class InvalidBucketName(S3Error):
    """The name breaks S3's bucket naming rules."""

    code = "InvalidBucketName"
    status = 400


class NoSuchKey(S3Error):
    """No object under that key."""

    code = "NoSuchKey"
    status = 404


class NoSuchVersion(S3Error):
    """Only the null version exists (buckets are not versioned)."""

    code = "NoSuchVersion"
    status = 404


class NoSuchObjectLockConfiguration(S3Error):
    """The object has no Object Lock retention (GetObjectRetention)."""

    code = "NoSuchObjectLockConfiguration"
    status = 404


class InvalidRange(S3Error):
    """The requested range is not satisfiable."""

    code = "InvalidRange"
    status = 416


class InvalidPartNumber(S3Error):
    """The requested part number is not satisfiable."""

    code = "InvalidPartNumber"
    status = 416


class PreconditionFailed(S3Error):
    """An If-* condition did not hold."""

    code = "PreconditionFailed"
    status = 412


class InvalidArgument(S3Error):
    """An argument is malformed or out of range."""

    code = "InvalidArgument"
    status = 400


class InvalidRequest(S3Error):
    """The request is malformed (e.g. its aws-chunked framing)."""

    code = "InvalidRequest"
    status = 400


class MethodNotAllowed(S3Error):
    """The method (or sub-resource) is not supported on this resource."""

    code = "MethodNotAllowed"
    status = 405


class NoSuchUpload(S3Error):
    """No multipart upload with that id."""

    code = "NoSuchUpload"
    status = 404


class InvalidPart(S3Error):
    """A listed part was not uploaded or its ETag differs."""

    code = "InvalidPart"
    status = 400


class InvalidPartOrder(S3Error):
    """Parts must be listed in ascending order."""

    code = "InvalidPartOrder"
    status = 400


class EntityTooLarge(S3Error):
    """A POST upload larger than its policy's content-length-range allows."""

    code = "EntityTooLarge"
    status = 400


class MalformedPolicy(S3Error):
    """A bucket policy that is not a JSON policy document."""

    code = "MalformedPolicy"
    status = 400


class InvalidPolicyDocument(S3Error):
    """A POST upload's policy that is not a policy document."""

    code = "InvalidPolicyDocument"
    status = 400


class EntityTooSmall(S3Error):
    """A part other than the last is under 5 MiB."""

    code = "EntityTooSmall"
    status = 400


class KeyTooLong(S3Error):
    """The key is longer than 1024 bytes."""

    code = "KeyTooLongError"
    status = 400


class BadDigest(S3Error):
    """Content-MD5 or an x-amz-checksum-* does not match the body."""

    code = "BadDigest"
    status = 400


class InvalidDigest(S3Error):
    """Content-MD5 is not base64 of 16 bytes."""

    code = "InvalidDigest"
    status = 400


class RequestTimeout(S3Error):
    """The request body came slower than the server's minimum rate (``moto_forge/serving.py``)."""

    code = "RequestTimeout"
    status = 400


class IncompleteBody(S3Error):
    """The body is shorter (or longer) than declared."""

    code = "IncompleteBody"
    status = 400


class XAmzContentSHA256Mismatch(S3Error):
    """x-amz-content-sha256 does not match the body."""

    code = "XAmzContentSHA256Mismatch"
    status = 400


class MissingContentLength(S3Error):
    """A body without Content-Length (or a decoded length)."""

    code = "MissingContentLength"
    status = 411


class MalformedXML(S3Error):
    """The XML body is not well-formed or not what the operation takes."""

    code = "MalformedXML"
    status = 400


class MaxMessageLengthExceeded(S3Error):
    """A request body larger than the operation accepts."""

    code = "MaxMessageLengthExceeded"
    status = 400


class MetadataTooLarge(S3Error):
    """User metadata (``x-amz-meta-*`` names and values) over 2 KB."""

    code = "MetadataTooLarge"
    status = 400


class AuthorizationHeaderMalformed(S3Error):
    """A credential scope for another region or service than this server's."""

    code = "AuthorizationHeaderMalformed"
    status = 400


class AccessDenied(S3Error):
    """Not allowed (e.g. an expired presigned URL)."""

    code = "AccessDenied"
    status = 403


class AccessForbidden(S3Error):
    """A CORS preflight no rule of the bucket allows (or a bucket without CORS, or none)."""

    code = "AccessForbidden"
    status = 403


class BadRequest(S3Error):
    """A request missing what it must carry (a CORS preflight without ``Origin``)."""

    code = "BadRequest"
    status = 400


class InvalidTag(S3Error):
    """A tag S3 refuses (``aws:`` prefix, too long, a key given twice)."""

    code = "InvalidTag"
    status = 400


class InvalidStorageClass(S3Error):
    """The storage class is not one S3 has."""

    code = "InvalidStorageClass"
    status = 400


class InvalidObjectState(S3Error):
    """An archived object (GLACIER, DEEP_ARCHIVE) read or copied before it is restored."""

    code = "InvalidObjectState"
    status = 403


class NotImplementedByServer(S3Error):
    """A feature S3 has that this server does not offer (MFA delete)."""

    code = "NotImplemented"
    status = 501


class InvalidAccessKeyId(S3Error):
    """The access key is not configured on this server."""

    code = "InvalidAccessKeyId"
    status = 403


class SignatureDoesNotMatch(S3Error):
    """The SigV4 signature does not match."""

    code = "SignatureDoesNotMatch"
    status = 403


class NoSuchSnapshot(S3Error):
    """The root is not in the bucket's history."""

    code = "NoSuchSnapshot"
    status = 404
