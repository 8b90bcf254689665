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


def _attributes_moto_reads(names: str) -> set[str]:
    """Attribute names moto's S3 responses module (handlers and templates) reads from
    variables called one of ``names``."""
    import re

    source = inspect.getsource(responses)
    return set(re.findall(rf"(?<![.\w])(?:{names})\.([a-zA-Z_]\w*)\b", source))


NOT_KEY_ATTRIBUTES = {"get", "lower", "startswith", "id", "key_name"}
"""Names the scan finds on variables that are not keys there (dicts, strings, uploads)."""


def test_key_view_offers_every_attribute_motos_renderers_read() -> None:
    from moto_forge.ipld.cid import CID, RAW
    from moto_forge.objects import ObjectManifest
    from moto_forge.objects.manifest import FIXED_V1, Body
    from moto_forge.s3.keys import ForgeKey

    body = Body(3, b"\0" * 32, b"\0" * 16, CID.compute(RAW, b"abc"), FIXED_V1)
    manifest = ObjectManifest(key="k", body=body, etag="00" * 16, created=1, content_type="text/plain")
    key = ForgeKey(manifest, CID.compute(RAW, b"m"), "b", reader=lambda m: b"abc", on_metadata=lambda k, m: None)
    wanted = _attributes_moto_reads("key|src_key|new_key|key_to_tag|version|latest_version|obj") - NOT_KEY_ATTRIBUTES
    assert {"etag", "size", "last_modified_ISO8601", "storage_class", "metadata"} <= wanted  # the scan works
    missing = sorted(name for name in wanted if not hasattr(key, name))
    assert missing == [], f"moto reads {missing} from keys; ForgeKey lacks them"


def test_upload_view_offers_what_motos_renderers_read() -> None:
    from moto_forge.s3.keys import ForgeUpload

    upload = ForgeUpload("id", "k")
    wanted = _attributes_moto_reads("upload|multipart") - {"get", "lower", "startswith"}
    missing = sorted(name for name in wanted if not hasattr(upload, name))
    assert missing == [], f"moto reads {missing} from uploads; ForgeUpload lacks them"
