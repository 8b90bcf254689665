"""The S3 API operation a request is (pure), for the access log: ``PutObject``,
``ListObjectsV2``, ``GetBucketTagging``, ... decided from the method, what the request
names (bucket, key) and its query, as S3's own request routing does."""

from __future__ import annotations

from collections.abc import Container

KEY_OPERATIONS: dict[str, list[tuple[str, str]]] = {
    "GET": [("uploadId", "ListParts"), ("acl", "GetObjectAcl"), ("tagging", "GetObjectTagging"),
            ("retention", "GetObjectRetention"), ("legal-hold", "GetObjectLegalHold"),
            ("attributes", "GetObjectAttributes"), ("torrent", "GetObjectTorrent")],
    "PUT": [("acl", "PutObjectAcl"), ("tagging", "PutObjectTagging"), ("retention", "PutObjectRetention"),
            ("legal-hold", "PutObjectLegalHold")],
    "DELETE": [("uploadId", "AbortMultipartUpload"), ("tagging", "DeleteObjectTagging")],
    "POST": [("uploads", "CreateMultipartUpload"), ("uploadId", "CompleteMultipartUpload"),
             ("restore", "RestoreObject"), ("select", "SelectObjectContent")],
}  # fmt: skip
KEY_DEFAULTS = {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"}
BUCKET_SUBRESOURCES = (
    "accelerate", "acl", "analytics", "cors", "encryption", "intelligent-tiering", "inventory", "lifecycle",
    "location", "logging", "metrics", "notification", "object-lock", "ownershipControls", "policy", "policyStatus",
    "publicAccessBlock", "replication", "requestPayment", "tagging", "versioning", "website",
)  # fmt: skip
BUCKET_DEFAULTS = {"GET": "ListObjects", "HEAD": "HeadBucket", "PUT": "CreateBucket", "DELETE": "DeleteBucket",
                   "POST": "PostObject"}  # fmt: skip


def camel(name: str) -> str:
    """``object-lock`` -> ``ObjectLock``, ``publicAccessBlock`` -> ``PublicAccessBlock``."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-"))


def operation_name(method: str, bucket: str | None, key: str | None, args: Container[str], copy: bool) -> str:
    """The S3 operation of a request (``-`` for one S3 has none for)."""
    if method == "OPTIONS":
        return "PreflightRequest"
    if bucket is None:
        return "ListBuckets" if method in ("GET", "HEAD") else "-"
    if key is not None:
        if method == "PUT" and "uploadId" in args and "partNumber" in args:
            return "UploadPartCopy" if copy else "UploadPart"
        if method == "PUT" and copy:
            return "CopyObject"
        for param, name in KEY_OPERATIONS.get(method, []):
            if param in args:
                return name
        return KEY_DEFAULTS.get(method, "-")
    if method == "GET":
        if "versions" in args:
            return "ListObjectVersions"
        if "uploads" in args:
            return "ListMultipartUploads"
    if method == "POST" and "delete" in args:
        return "DeleteObjects"
    verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method)
    if verb is not None:
        for sub in BUCKET_SUBRESOURCES:
            if sub in args:
                return f"{verb}Bucket{camel(sub)}"
    if method == "GET" and "list-type" in args:
        return "ListObjectsV2"
    return BUCKET_DEFAULTS.get(method, "-")
