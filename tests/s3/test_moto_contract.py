"""The moto internals moto_forge relies on.  If a moto upgrade changes any of
these, this module fails first and says which one (supported: moto 5.2.5 and later 5.2.x)."""

import inspect

import moto
from moto.s3 import responses
from moto.s3.models import FakeKey, S3Backend
from moto.s3.responses import S3Response

from moto_forge.s3.backend import ForgeS3Backend


def test_moto_version_is_supported() -> None:
    major, minor, patch = (int(x) for x in moto.__version__.split(".")[:3])
    assert (major, minor) == (5, 2) and patch >= 5, moto.__version__


def test_requests_are_motos_normalized_request_class() -> None:
    from moto.core.request import Request

    assert Request.from_wsgi_server is False  # we subclass it and set True (server mode)
    assert "request.from_wsgi_server" in inspect.getsource(responses.BaseResponse.setup_class)


def test_dispatch_entry_points_exist() -> None:
    for name in ("bucket_dispatch", "ambiguous_dispatch", "key_dispatch"):
        assert isinstance(inspect.getattr_static(S3Response, name), classmethod), name
    assert isinstance(inspect.getattr_static(S3Response, "backend"), property)


def test_overridden_backend_methods_keep_their_parameters() -> None:
    for name in [
        "create_bucket", "list_buckets", "get_bucket", "head_bucket", "delete_bucket", "get_object",
        "list_objects", "list_objects_v2", "delete_object", "delete_objects", "copy_object",
        "get_object_tagging", "put_object_tagging", "delete_object_tagging", "create_multipart_upload",
        "complete_multipart_upload", "abort_multipart_upload", "list_parts", "is_truncated",
        "list_multipart_uploads", "upload_part_copy",
    ]:  # fmt: skip
        theirs = list(inspect.signature(getattr(S3Backend, name)).parameters)
        ours = inspect.signature(getattr(ForgeS3Backend, name)).parameters
        takes_rest = any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in ours.values())
        assert takes_rest or list(ours)[: len(theirs)] == theirs, (name, theirs, list(ours))


def test_listing_splits_keys_from_prefixes_by_fakekey() -> None:
    source = inspect.getsource(S3Response._split_truncated_keys)
    assert "isinstance(key, FakeKey)" in source  # ForgeKey subclasses FakeKey for this
    assert issubclass(__import__("moto_forge.s3.keys", fromlist=["ForgeKey"]).ForgeKey, FakeKey)


def test_responses_module_reads_bodies_we_stream_ourselves() -> None:
    # moto buffers request bodies (self.body); the four streaming operations bypass it.
    assert S3Response.use_raw_body is True
