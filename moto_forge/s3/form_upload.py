"""Browser uploads: an HTML form POSTed to a bucket (``multipart/form-data``: fields, then
the ``file``), stored like a PutObject, answered as S3 answers (a redirect, 200, 201 with
a ``PostResponse``, or 204).  The signature and the policy are checked by the caller
(:meth:`moto_forge.s3.app.S3App._form_upload`) from the same fields this stores."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from typing import IO
from xml.sax.saxutils import escape

from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Request

from moto_forge.bucket.service import BucketService, WriteResult
from moto_forge.errors import InvalidArgument
from moto_forge.s3 import attributes, xmlcheck
from moto_forge.s3.backend import split_metadata
from moto_forge.s3.objects import Response
from moto_forge.s3.tags import pairs_to_tags

FORM = "multipart/form-data"


def read_form(request: Request) -> tuple[dict[str, str], FileStorage]:
    """The form's fields (names lower-cased, the first of a repeated one) and its file."""
    fields: dict[str, str] = {}
    for name, value in request.form.items(multi=True):
        fields.setdefault(name.lower(), value)
    upload = request.files.get("file")
    if upload is None or len(request.files) != 1:
        raise InvalidArgument("POST requires exactly one file upload per request.", ArgumentName="file")
    return fields, upload


def size_of(upload: FileStorage) -> int:
    stream: IO[bytes] = upload.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def object_key(fields: dict[str, str], upload: FileStorage) -> str:
    """The ``key`` field, with ``${filename}`` replaced by the uploaded file's name."""
    key = fields.get("key")
    if not key:
        raise InvalidArgument("Bucket POST must contain a field named 'key'.", ArgumentName="key")
    return key.replace("${filename}", upload.filename or "")


def store(service: BucketService, fields: dict[str, str], upload: FileStorage, bucket: str, key: str) -> WriteResult:
    """Store the form's file as ``key`` with what its fields say (Content-Type, metadata,
    content headers, tagging, ACL, storage class, encryption, ...)."""
    headers = dict(fields)
    if "acl" in fields:
        headers["x-amz-acl"] = fields["acl"]
    content_type, meta, stored = split_metadata(headers)
    return service.put_object(
        bucket,
        key,
        upload.stream,
        content_type=content_type or "binary/octet-stream",
        metadata=meta,
        headers=stored,
        tags=_tags(fields.get("tagging")),
        attributes=lambda config: attributes.from_headers(headers, config, time.time()),
    )


def respond(fields: dict[str, str], bucket: str, key: str, etag: str, base_url: Callable[[], str]) -> Response:
    """S3's answer to a stored form upload: ``success_action_redirect`` (303 with bucket,
    key and ETag in the query), else ``success_action_status`` 200 or 201 (``PostResponse``),
    else 204."""
    quoted = f'"{etag}"'
    redirect = fields.get("success_action_redirect") or fields.get("redirect")
    if redirect:
        query = urllib.parse.urlencode({"bucket": bucket, "key": key, "etag": quoted})
        location = redirect + ("&" if "?" in redirect else "?") + query
        return Response(303, {"Location": location}, [b""])
    status = fields.get("success_action_status")
    if status == "200":
        return Response(200, {"ETag": quoted}, [b""])
    if status == "201":
        location = f"{base_url()}/{urllib.parse.quote(bucket)}/{urllib.parse.quote(key)}"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>'
            f"<Location>{escape(location)}</Location><Bucket>{escape(bucket)}</Bucket>"
            f"<Key>{escape(key)}</Key><ETag>{escape(quoted)}</ETag></PostResponse>"
        ).encode()
        return Response(201, {"Content-Type": "application/xml", "ETag": quoted, "Location": location}, [body])
    return Response(204, {"ETag": quoted, "Location": f"{base_url()}/{bucket}/{key}"}, [])


def _tags(tagging: str | None) -> dict[str, str]:
    """The tags of a form's ``tagging`` field (a ``<Tagging>`` document)."""
    if not tagging:
        return {}
    root = xmlcheck.parse(tagging.encode("utf-8"))
    pairs = []
    for tag in root.iter():
        if tag.tag.rsplit("}", 1)[-1] != "Tag":
            continue
        key = value = ""
        for child in tag:
            name = child.tag.rsplit("}", 1)[-1]
            if name == "Key":
                key = child.text or ""
            elif name == "Value":
                value = child.text or ""
        pairs.append((key, value))
    return pairs_to_tags(pairs)
