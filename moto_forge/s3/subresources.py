"""Which S3 sub-resources (the query parameters that select an operation) and which
variants of an object write or delete (headers) this server serves; the rest are refused
before anything acts.

moto picks a handler by testing sub-resources one after another and falls back to the
plain operation of the method: ``DELETE /bucket?analytics&id=x`` (DeleteBucketAnalytics-
Configuration) was a DeleteBucket, ``DELETE /bucket/key?acl`` a DeleteObject, and
``PUT /bucket/key?renameObject`` a PutObject of an empty body.  A sub-resource S3 defines
for the method but this server does not serve is 501 ``NotImplemented``; one S3 does not
define for the method is 405 ``MethodNotAllowed``.  Parameters S3 does not know (an SDK's
``x-id``, say) are ignored, as S3 ignores them.  HEAD is checked as GET.  Likewise a header
asking for a variant of a write or delete not served here (an append at an offset, a delete
conditional on size) is 501, never ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from werkzeug.datastructures import Headers

from moto_forge.errors import MethodNotAllowed, NotImplementedByServer

_G, _P, _D, _O = "GET", "PUT", "DELETE", "POST"
_CONFIG = frozenset({_G, _P, _D})
_GET_PUT = frozenset({_G, _P})

S3_BUCKET: dict[str, frozenset[str]] = {
    "accelerate": _GET_PUT, "acl": _GET_PUT, "analytics": _CONFIG, "cors": _CONFIG, "encryption": _CONFIG,
    "intelligent-tiering": _CONFIG, "inventory": _CONFIG, "lifecycle": _CONFIG, "location": frozenset({_G}),
    "logging": _GET_PUT, "metadataTable": frozenset({_G, _O, _D}), "metadataConfiguration": frozenset({_G, _O, _D}),
    "metadataInventoryTable": frozenset({_P}), "metadataJournalTable": frozenset({_P}), "metrics": _CONFIG,
    "notification": _GET_PUT, "object-lock": _GET_PUT, "ownershipControls": _CONFIG, "policy": _CONFIG,
    "policyStatus": frozenset({_G}), "publicAccessBlock": _CONFIG, "replication": _CONFIG,
    "requestPayment": _GET_PUT, "tagging": _CONFIG, "versioning": _GET_PUT, "website": _CONFIG,
    "uploads": frozenset({_G}), "versions": frozenset({_G}), "delete": frozenset({_O}), "session": frozenset({_G}),
    "abac": _GET_PUT,
}  # fmt: skip
"""The bucket sub-resources S3 defines, and the methods of each."""

S3_OBJECT: dict[str, frozenset[str]] = {
    "acl": _GET_PUT, "tagging": _CONFIG, "retention": _GET_PUT, "legal-hold": _GET_PUT,
    "attributes": frozenset({_G}), "restore": frozenset({_O}), "select": frozenset({_O}), "torrent": frozenset({_G}),
    "uploads": frozenset({_O}), "uploadId": frozenset({_G, _P, _O, _D}), "renameObject": frozenset({_P}),
}  # fmt: skip
"""The object sub-resources S3 defines, and the methods of each."""

NOT_SERVED: dict[str, dict[str, frozenset[str]]] = {
    "bucket": {
        "analytics": _CONFIG, "intelligent-tiering": _CONFIG, "inventory": frozenset({_D}),
        "metadataTable": S3_BUCKET["metadataTable"],
        "metadataConfiguration": S3_BUCKET["metadataConfiguration"], "metadataInventoryTable": frozenset({_P}),
        "metadataJournalTable": frozenset({_P}), "metrics": _CONFIG, "requestPayment": _GET_PUT,
        "session": frozenset({_G}), "abac": _GET_PUT,
    },
    "object": {"torrent": frozenset({_G}), "renameObject": frozenset({_P})},
}  # fmt: skip
"""Of those, the (sub-resource, method) pairs this server does not serve: moto has no handler
for them and would run the method's plain operation instead."""


def check(method: str, is_object: bool, names: Iterable[str]) -> None:
    """Refuse a request with ``method`` on a bucket (or, ``is_object``, an object) whose query
    parameter ``names`` select an operation this server does not serve: 405
    :class:`MethodNotAllowed` when S3 has no such operation (a sub-resource of the other
    level included: ``DELETE /bucket?uploadId=`` was a DeleteBucket), 501
    :class:`NotImplementedByServer` when S3 has it and this server does not."""
    verb = "GET" if method == "HEAD" else method
    defined, other = (S3_OBJECT, S3_BUCKET) if is_object else (S3_BUCKET, S3_OBJECT)
    refused = NOT_SERVED["object" if is_object else "bucket"]
    resource = "OBJECT" if is_object else "BUCKET"
    for name in names:
        methods = defined.get(name)
        if methods is None and name not in other:
            continue
        if methods is None or verb not in methods:
            raise MethodNotAllowed(
                "The specified method is not allowed against this resource.", Method=method, ResourceType=resource
            )
        if verb in refused.get(name, ()):
            raise NotImplementedByServer(f"{method} ?{name} is not supported by this server", Method=method)


UNSERVED_OBJECT_HEADERS: dict[str, tuple[str, ...]] = {
    "PUT": ("x-amz-write-offset-bytes",),
    "DELETE": ("x-amz-if-match-size", "x-amz-if-match-last-modified-time"),
}
"""Headers that change what an object write or delete does (S3 Express's appends and
conditional deletes) which this server does not offer: ignoring one would replace an object
the client appended to, or delete one the client meant to delete only on a match."""


def check_headers(method: str, is_object: bool, headers: Headers | Mapping[str, str]) -> None:
    """Refuse (501 :class:`NotImplementedByServer`, as S3 answers a header it does not offer)
    a request on an object whose ``headers`` (a case-insensitive mapping) ask for a variant of
    its operation this server does not serve: those of :data:`UNSERVED_OBJECT_HEADERS`, or an
    ``If-None-Match`` on a write that is not ``*`` (S3 takes only ``*`` there)."""
    if not is_object:
        return
    for name in UNSERVED_OBJECT_HEADERS.get(method, ()):
        if name in headers:
            raise NotImplementedByServer(f"{name} is not supported by this server", Header=name)
    if method in ("PUT", "POST") and headers.get("If-None-Match") not in (None, "", "*"):  # "": no condition
        raise NotImplementedByServer(
            "A header you provided implies functionality that is not implemented: If-None-Match takes only *",
            Header="If-None-Match",
        )
