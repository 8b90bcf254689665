"""A hostile tenant against a real ``moto-forge serve`` with two tenants (SECURITY.md's
threat model): each class of request that once reached another tenant's bucket, revived an
expired URL or acted on unsigned values, sent as raw HTTP so nothing normalises it first.

Alice owns ``alice-data`` (one object, ``diary.txt``); Bob, the attacker, owns ``bob-data``.
After every attack Alice's bucket must be exactly as she left it."""

from __future__ import annotations

import contextlib
import os
import socket
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from moto_forge import tenants
from tests.e2e.conftest import Served, start_server

pytestmark = pytest.mark.no_forge

DIARY = b"dear diary, nobody else may read this"
TAGGING = b"<Tagging><TagSet><Tag><Key>x</Key><Value>y</Value></Tag></TagSet></Tagging>"


@dataclass
class World:
    server: Served
    alice: tenants.Tenant
    bob: tenants.Tenant

    def client(self, who: tenants.Tenant, **config: Any) -> Any:
        return boto3.client(
            "s3", endpoint_url=self.server.url, region_name="us-east-1",
            aws_access_key_id=who.access_key, aws_secret_access_key=who.secret_key,
            config=Config(retries={"max_attempts": 1}, **config),
        )  # fmt: skip

    def signed(
        self,
        who: tenants.Tenant,
        method: str,
        path: str,
        *,
        host: str | None = None,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        unsigned: dict[str, str] | None = None,
    ) -> requests.Response:
        """A SigV4 header-signed request for ``path`` (raw, query included) with ``host`` as its
        Host, ``headers`` signed, then ``unsigned`` headers added after signing."""
        url = self.server.url + path
        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
        if host is not None:
            request.headers["Host"] = host
        S3SigV4Auth(Credentials(who.access_key, who.secret_key), "s3", "us-east-1").add_auth(request)
        sent = {**dict(request.headers), **(unsigned or {})}
        return requests.request(method, url, headers=sent, data=body, timeout=30)

    def presigned_v4(self, who: tenants.Tenant, method: str, path: str, expires: int = 300) -> str:
        request = AWSRequest(method=method, url=self.server.url + path)
        S3SigV4QueryAuth(Credentials(who.access_key, who.secret_key), "s3", "us-east-1", expires=expires).add_auth(
            request
        )
        return str(request.url)

    def alice_intact(self) -> None:
        s3 = self.client(self.alice)
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="alice-data").get("Contents", [])] == ["diary.txt"]
        assert s3.get_object(Bucket="alice-data", Key="diary.txt")["Body"].read() == DIARY
        assert s3.get_object_tagging(Bucket="alice-data", Key="diary.txt")["TagSet"] == []


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = str(tmp_path_factory.mktemp("hostile"))
    path = os.path.join(data_dir, "tenants.toml")
    alice, bob = (tenants.add_tenant(path, name) for name in ("alice", "bob"))
    server = start_server(data_dir)
    w = World(server, alice, bob)
    a = w.client(alice)
    a.create_bucket(Bucket="alice-data")
    a.put_object(Bucket="alice-data", Key="diary.txt", Body=DIARY)
    b = w.client(bob)
    b.create_bucket(Bucket="bob-data")
    b.put_object(Bucket="bob-data", Key="mine.txt", Body=b"bob's own")
    yield w
    server.stop()


def error_code(response: requests.Response) -> str:
    text = response.text
    return text.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in text else ""


# ---- 1. addressing is decided once --------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "extra"),
    [
        ("GET", "/", {}),
        ("GET", "/?list-type=2", {}),
        ("DELETE", "/diary.txt", {}),
        ("PUT", "/diary.txt?tagging", {"body": TAGGING}),
        ("DELETE", "/", {}),
        ("PUT", "/stolen", {"headers": {"x-amz-copy-source": "/alice-data/diary.txt"}}),
        ("GET", "/bob-data/mine.txt", {}),
        ("DELETE", "/bob-data/diary.txt", {}),
    ],
)  # fmt: skip
def test_a_host_outside_the_servers_domains_is_path_style_for_every_layer(
    world: World, method: str, path: str, extra: dict[str, Any]
) -> None:
    """``Host: alice-data.example.com`` names no bucket (example.com is not a virtual-host
    domain of this server): whatever Bob asks is decided from the path alone, by the
    tenancy check and by moto alike."""
    response = world.signed(world.bob, method, path, host="alice-data.example.com", **extra)
    assert response.status_code < 500, response.text
    assert b"dear diary" not in response.content
    assert "diary.txt" not in response.text or method == "DELETE" or response.status_code >= 400
    world.alice_intact()


def test_a_host_inside_the_servers_domains_is_checked_as_the_bucket_it_names(world: World) -> None:
    response = world.signed(world.bob, "GET", "/diary.txt", host="alice-data.localhost")
    assert (response.status_code, error_code(response)) == (403, "AccessDenied")
    response = world.signed(world.bob, "DELETE", "/diary.txt", host="alice-data.localhost")
    assert (response.status_code, error_code(response)) == (403, "AccessDenied")
    world.alice_intact()


# ---- 2. copy sources are parsed once --------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "//bob-data/alice-data/diary.txt",
        "http://bob-data/alice-data/diary.txt",
        "https://bob-data.localhost/alice-data/diary.txt",
        "s3://bob-data/alice-data/diary.txt",
        "/bob-data",
        "bob-data/mine.txt?versionId=1&x=2",
        "/bob-data/%FF",
        "arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/diary.txt",
    ],
)
@pytest.mark.parametrize("operation", ["CopyObject", "UploadPartCopy"])
def test_a_copy_source_s3_would_not_accept_is_invalid_argument(world: World, source: str, operation: str) -> None:
    query = ""
    if operation == "UploadPartCopy":
        upload = world.client(world.bob).create_multipart_upload(Bucket="bob-data", Key="assembled")["UploadId"]
        query = f"?partNumber=1&uploadId={upload}"
    response = world.signed(
        world.bob,
        "PUT",
        f"/bob-data/stolen{query}",
        headers={"x-amz-copy-source": urllib.parse.quote(source, safe=":/?=&%")},
    )
    assert (response.status_code, error_code(response)) == (400, "InvalidArgument"), response.text
    assert b"dear diary" not in response.content
    bob = world.client(world.bob)
    assert "stolen" not in [o["Key"] for o in bob.list_objects_v2(Bucket="bob-data").get("Contents", [])]
    if operation == "UploadPartCopy":
        assert bob.list_parts(Bucket="bob-data", Key="assembled", UploadId=upload).get("Parts", []) == []
    world.alice_intact()


def test_a_plain_copy_source_of_another_tenant_is_denied_and_ones_own_works(world: World) -> None:
    response = world.signed(
        world.bob, "PUT", "/bob-data/stolen", headers={"x-amz-copy-source": "/alice-data/diary.txt"}
    )
    assert (response.status_code, error_code(response)) == (403, "AccessDenied")
    response = world.signed(world.bob, "PUT", "/bob-data/copy", headers={"x-amz-copy-source": "bob-data/mine.txt"})
    assert response.status_code == 200, response.text
    assert world.client(world.bob).get_object(Bucket="bob-data", Key="copy")["Body"].read() == b"bob's own"


# ---- 3. repeated query parameters ----------------------------------------------------


def test_a_prepended_expires_does_not_revive_an_expired_sigv2_url(world: World) -> None:
    s3v2 = world.client(world.alice, signature_version="s3")
    url = s3v2.generate_presigned_url("get_object", Params={"Bucket": "alice-data", "Key": "diary.txt"}, ExpiresIn=1)
    time.sleep(2.1)
    assert requests.get(url, timeout=10).status_code == 403
    base, query = url.split("?", 1)
    revived = requests.get(f"{base}?Expires=9999999999&{query}", timeout=10)
    assert revived.status_code == 400 and error_code(revived) == "InvalidArgument", revived.text
    assert b"dear diary" not in revived.content


def test_a_prepended_part_number_does_not_redirect_a_sigv2_upload_url(world: World) -> None:
    alice = world.client(world.alice)
    upload = alice.create_multipart_upload(Bucket="alice-data", Key="big")["UploadId"]
    try:
        s3v2 = world.client(world.alice, signature_version="s3")
        params = {"Bucket": "alice-data", "Key": "big", "UploadId": upload, "PartNumber": 1}
        url = s3v2.generate_presigned_url("upload_part", Params=params, ExpiresIn=300)
        base, query = url.split("?", 1)
        moved = requests.put(f"{base}?partNumber=7&{query}", data=b"x" * 10, timeout=10)
        assert moved.status_code == 400 and error_code(moved) == "InvalidArgument", moved.text
        assert alice.list_parts(Bucket="alice-data", Key="big", UploadId=upload).get("Parts", []) == []
        assert requests.put(url, data=b"x" * 10, timeout=10).status_code == 200  # the URL as signed works
        assert [
            p["PartNumber"] for p in alice.list_parts(Bucket="alice-data", Key="big", UploadId=upload)["Parts"]
        ] == [1]
    finally:
        alice.abort_multipart_upload(Bucket="alice-data", Key="big", UploadId=upload)


def test_a_repeated_parameter_in_a_sigv4_url_is_refused(world: World) -> None:
    url = world.presigned_v4(world.alice, "GET", "/alice-data/diary.txt", expires=1)
    time.sleep(2.1)
    base, query = url.split("?", 1)
    response = requests.get(f"{base}?X-Amz-Expires=604800&{query}", timeout=10)
    assert response.status_code == 400 and error_code(response) == "InvalidArgument", response.text


# ---- 5. unsigned headers -------------------------------------------------------------


def test_a_presigned_put_plus_an_unsigned_copy_source_is_not_a_copy(world: World) -> None:
    url = world.presigned_v4(world.bob, "PUT", "/bob-data/from-url")
    response = requests.put(url, data=b"", headers={"x-amz-copy-source": "/bob-data/mine.txt"}, timeout=10)
    assert (response.status_code, error_code(response)) == (403, "AccessDenied"), response.text
    assert "x-amz-copy-source" in response.text  # HeadersNotSigned names it
    assert requests.put(url, data=b"as signed", timeout=10).status_code == 200


def test_unsigned_x_amz_headers_and_an_unsigned_host_are_refused(world: World) -> None:
    response = world.signed(world.bob, "PUT", "/bob-data/meta", body=b"x", unsigned={"x-amz-meta-added": "later"})
    assert (response.status_code, error_code(response)) == (403, "AccessDenied")
    response = world.signed(world.bob, "PUT", "/bob-data/meta", body=b"x", unsigned={"x-amz-tagging": "evil=1"})
    assert (response.status_code, error_code(response)) == (403, "AccessDenied")
    # a signature without host in SignedHeaders
    request = AWSRequest(method="GET", url=world.server.url + "/bob-data/mine.txt")
    auth = S3SigV4Auth(Credentials(world.bob.access_key, world.bob.secret_key), "s3", "us-east-1")
    every_header = auth.headers_to_sign

    def without_host(r: AWSRequest) -> Any:
        signed = every_header(r)
        del signed["host"]
        return signed

    auth.headers_to_sign = without_host  # type: ignore[method-assign]
    auth.add_auth(request)
    response = requests.get(request.url, headers=dict(request.headers), timeout=10)
    assert (response.status_code, error_code(response)) == (403, "AccessDenied"), response.text


def test_an_unsigned_root_selector_does_not_change_what_a_url_reads(world: World) -> None:
    bob = world.client(world.bob)
    first = bob.put_object(Bucket="bob-data", Key="versioned", Body=b"first")["ResponseMetadata"]["HTTPHeaders"]
    bob.put_object(Bucket="bob-data", Key="versioned", Body=b"second")
    old_root = first["x-forge-root"]
    v2 = world.client(world.bob, signature_version="s3")
    url = v2.generate_presigned_url("get_object", Params={"Bucket": "bob-data", "Key": "versioned"}, ExpiresIn=300)
    assert requests.get(url, timeout=10).content == b"second"
    for response in (
        requests.get(url, headers={"x-forge-root": old_root}, timeout=10),
        requests.get(f"{url}&forge-root={old_root}", timeout=10),
    ):
        assert response.status_code == 403 and b"first" not in response.content, response.text
    v4 = world.presigned_v4(world.bob, "GET", "/bob-data/versioned")
    response = requests.get(v4, headers={"x-forge-root": old_root}, timeout=10)
    assert response.status_code == 403 and b"first" not in response.content
    signed = world.presigned_v4(world.bob, "GET", f"/bob-data/versioned?forge-root={old_root}")
    assert requests.get(signed, timeout=10).content == b"first"  # a signed selector works


# ---- 8. odd hosts and the service root -----------------------------------------------


@pytest.mark.parametrize(
    "host", ["ap-123456789012.s3-accesspoint.us-east-1.amazonaws.com", "a..b.x", ".localhost", "x..localhost", "a b"]
)
def test_odd_hosts_are_a_4xx(world: World, host: str) -> None:
    for method, path in (("GET", "/"), ("GET", "/alice-data/diary.txt"), ("DELETE", "/alice-data/diary.txt")):
        response = world.signed(world.bob, method, path, host=host)
        assert 400 <= response.status_code < 500, (host, method, response.status_code, response.text)
        assert b"dear diary" not in response.content
    world.alice_intact()


@pytest.mark.parametrize(("method", "path"), [("POST", "/?delete"), ("DELETE", "/"), ("PUT", "/"), ("POST", "/")])
def test_writes_to_the_service_root_are_method_not_allowed(world: World, method: str, path: str) -> None:
    body = b"<Delete><Object><Key>diary.txt</Key></Object></Delete>" if "delete" in path else b""
    response = world.signed(world.bob, method, path, body=body)
    assert (response.status_code, error_code(response)) == (405, "MethodNotAllowed"), response.text
    world.alice_intact()


# ---- medium items ---------------------------------------------------------------------


def raw_request(world: World, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send bytes as they are (no client normalises Content-Length); the status and the reply."""
    with socket.create_connection(("127.0.0.1", world.server.port), timeout=10) as sock:
        try:  # the server may answer, and stop reading, before all of the body is sent
            sock.sendall(head.encode("latin-1") + body)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        reply = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                reply += chunk
    return int(reply.split(b" ", 2)[1]), reply


@pytest.mark.parametrize("length", ["-1", "abc", "5, 10", "5,5"])
def test_a_content_length_that_is_not_one_number_is_400(world: World, length: str, tmp_path: Path) -> None:
    # the server runs with tenants, so the request must be signed; signing covers no Content-Length
    request = AWSRequest(method="PUT", url=world.server.url + "/bob-data/cl", data=b"hello")
    S3SigV4Auth(Credentials(world.bob.access_key, world.bob.secret_key), "s3", "us-east-1").add_auth(request)
    headers = "".join(f"{k}: {v}\r\n" for k, v in request.headers.items() if k.lower() != "content-length")
    host = f"Host: 127.0.0.1:{world.server.port}\r\n"
    head = f"PUT /bob-data/cl HTTP/1.1\r\n{host}{headers}Content-Length: {length}\r\nConnection: close\r\n\r\n"
    status, reply = raw_request(world, head, b"hello")
    assert status == 400, reply
    keys = [o["Key"] for o in world.client(world.bob).list_objects_v2(Bucket="bob-data").get("Contents", [])]
    assert "cl" not in keys


@pytest.mark.parametrize("key", ["%FF", "%C0%AF", "%ED%A0%80", "ok%FFx"])
def test_a_key_that_is_not_utf8_is_400_and_never_collides(world: World, key: str) -> None:
    response = world.signed(world.bob, "PUT", f"/bob-data/{key}", body=b"x")
    assert response.status_code == 400, response.text
    keys = [o["Key"] for o in world.client(world.bob).list_objects_v2(Bucket="bob-data").get("Contents", [])]
    assert not any("\ufffd" in k for k in keys)


def test_user_metadata_over_2_kb_is_metadata_too_large(world: World) -> None:
    bob = world.client(world.bob)
    with pytest.raises(Exception) as caught:
        bob.put_object(Bucket="bob-data", Key="meta", Body=b"x", Metadata={"big": "v" * 2100})
    assert "MetadataTooLarge" in str(caught.value)
    bob.put_object(Bucket="bob-data", Key="meta", Body=b"x", Metadata={"fits": "v" * 2000})


def test_crlf_in_a_response_override_is_400_not_an_injected_header(world: World) -> None:
    response = world.signed(
        world.bob, "GET", "/bob-data/mine.txt?response-content-type=text%2Fplain%0D%0AX-Evil%3A%201"
    )
    assert response.status_code == 400 and "X-Evil" not in response.headers


def test_two_checksum_headers_are_invalid_request(world: World) -> None:
    headers = {"x-amz-checksum-crc32": "AAAAAA==", "x-amz-checksum-sha1": "2jmj7l5rSw0yVb/vlWAYkK/YBwk="}
    response = world.signed(world.bob, "PUT", "/bob-data/two-sums", body=b"", headers=headers)
    assert (response.status_code, error_code(response)) == (400, "InvalidRequest"), response.text


@pytest.mark.parametrize("value", ["bytes=0-100", "bytes=5-2", "bytes=abc", "0-3", "bytes=0-"])
def test_an_upload_part_copy_range_outside_the_source_or_unparsable_is_invalid_argument(
    world: World, value: str
) -> None:
    bob = world.client(world.bob)
    upload = bob.create_multipart_upload(Bucket="bob-data", Key="ranged")["UploadId"]
    response = world.signed(
        world.bob, "PUT", f"/bob-data/ranged?partNumber=1&uploadId={upload}",
        headers={"x-amz-copy-source": "/bob-data/mine.txt", "x-amz-copy-source-range": value},
    )  # fmt: skip
    assert (response.status_code, error_code(response)) == (400, "InvalidArgument"), response.text
    good = world.signed(
        world.bob, "PUT", f"/bob-data/ranged?partNumber=1&uploadId={upload}",
        headers={"x-amz-copy-source": "/bob-data/mine.txt", "x-amz-copy-source-range": "bytes=0-3"},
    )  # fmt: skip
    assert good.status_code == 200, good.text
    bob.abort_multipart_upload(Bucket="bob-data", Key="ranged", UploadId=upload)


def test_a_wrong_region_in_the_credential_scope_is_authorization_header_malformed(world: World) -> None:
    request = AWSRequest(method="GET", url=world.server.url + "/bob-data?list-type=2")
    S3SigV4Auth(Credentials(world.bob.access_key, world.bob.secret_key), "s3", "eu-west-1").add_auth(request)
    response = requests.get(str(request.url), headers=dict(request.headers), timeout=10)
    assert (response.status_code, error_code(response)) == (400, "AuthorizationHeaderMalformed"), response.text
    assert "<Region>us-east-1</Region>" in response.text
    other = boto3.client(
        "s3", endpoint_url=world.server.url, region_name="eu-west-1",
        aws_access_key_id=world.bob.access_key, aws_secret_access_key=world.bob.secret_key,
    )  # fmt: skip
    # botocore reads <Region> and signs again for it, as it does against AWS
    assert other.list_objects_v2(Bucket="bob-data")["KeyCount"] >= 1


def test_an_unknown_metadata_directive_is_invalid_argument(world: World) -> None:
    response = world.signed(
        world.bob, "PUT", "/bob-data/copied",
        headers={"x-amz-copy-source": "/bob-data/mine.txt", "x-amz-metadata-directive": "MERGE"},
    )  # fmt: skip
    assert (response.status_code, error_code(response)) == (400, "InvalidArgument"), response.text


def test_a_client_that_disconnects_mid_body_leaves_no_traceback(world: World) -> None:
    request = AWSRequest(method="PUT", url=world.server.url + "/bob-data/cut", data=b"")
    request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    S3SigV4Auth(Credentials(world.bob.access_key, world.bob.secret_key), "s3", "us-east-1").add_auth(request)
    headers = "".join(f"{k}: {v}\r\n" for k, v in request.headers.items() if k.lower() != "content-length")
    for path in ("/bob-data/cut", "/bob-data/cut?tagging"):
        head = f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{world.server.port}\r\n{headers}Content-Length: 100000\r\n\r\n"
        with socket.create_connection(("127.0.0.1", world.server.port), timeout=10) as sock:
            sock.sendall(head.encode() + b"x" * 1000)
    time.sleep(0.5)
    logs = "".join(p.read_text() for p in Path(world.server.data_dir).glob("server-*.log"))
    assert "Traceback" not in logs
    keys = [o["Key"] for o in world.client(world.bob).list_objects_v2(Bucket="bob-data").get("Contents", [])]
    assert "cut" not in keys


# ---- 6. bodies are bounded before they are buffered -------------------------------------


def signed_head(world: World, method: str, path: str, extra: str) -> str:
    request = AWSRequest(method=method, url=world.server.url + path)
    request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    S3SigV4Auth(Credentials(world.bob.access_key, world.bob.secret_key), "s3", "us-east-1").add_auth(request)
    headers = "".join(f"{k}: {v}\r\n" for k, v in request.headers.items() if k.lower() != "content-length")
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{world.server.port}\r\n{headers}{extra}\r\n"


@pytest.mark.parametrize("path", ["/bob-data?tagging", "/bob-data/mine.txt?tagging", "/bob-data?delete"])
def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(world: World, path: str) -> None:
    """Content-Length says 256 MiB; 1 000 bytes arrive: the answer comes without the rest."""
    method = "POST" if path.endswith("delete") else "PUT"
    head = signed_head(world, method, path, f"Content-Length: {256 << 20}\r\n")
    status, reply = raw_request(world, head, b"<" * 1000)
    assert status == 400 and b"MaxMessageLengthExceeded" in reply, reply[:500]


def test_a_chunked_body_over_the_limit_is_refused_after_limit_plus_one_bytes(world: World) -> None:
    piece = b"<" * 65536
    chunked = (f"{len(piece):x}\r\n".encode() + piece + b"\r\n") * 48 + b"0\r\n\r\n"  # 3 MiB
    head = signed_head(world, "PUT", "/bob-data?tagging", "Transfer-Encoding: chunked\r\n")
    status, reply = raw_request(world, head, chunked)
    assert status == 400 and b"MaxMessageLengthExceeded" in reply, reply[:500]
    assert world.client(world.bob).get_bucket_tagging  # the server still answers
    world.alice_intact()


@pytest.mark.parametrize("path", ["/bob-data?tagging", "/bob-data/broken.txt"], ids=["moto-path", "streamed-put"])
@pytest.mark.parametrize(
    "body",
    [b"zz\r\nabc\r\n0\r\n\r\n", b"10\r\nabc", b"-5\r\n\r\n"],
    ids=["size-not-hex", "ends-inside-a-chunk", "negative-size"],
)
def test_a_malformed_chunked_body_is_a_400_not_a_500(world: World, path: str, body: bytes) -> None:
    """Broken ``Transfer-Encoding: chunked`` framing is the client's error: 400
    ``InvalidRequest``, nothing stored, no internal error logged, and the server goes on."""
    bob = world.client(world.bob)

    def state() -> tuple[list[str], object]:
        keys = [o["Key"] for o in bob.list_objects_v2(Bucket="bob-data").get("Contents", [])]
        try:
            tags: object = bob.get_bucket_tagging(Bucket="bob-data")["TagSet"]
        except ClientError as exc:
            tags = exc.response["Error"]["Code"]
        return keys, tags

    before = state()
    log = os.path.join(world.server.data_dir, f"server-{world.server.port}.log")
    logged = os.path.getsize(log)
    head = signed_head(world, "PUT", path, "Transfer-Encoding: chunked\r\n")
    status, reply = raw_request(world, head, body)
    assert status == 400 and b"<Code>InvalidRequest</Code>" in reply, reply[:500]
    with open(log, "rb") as f:
        f.seek(logged)
        assert b"Traceback" not in f.read()
    assert state() == before and "broken.txt" not in before[0]  # nothing stored, and the server answers
    world.alice_intact()


# ---- 7. slow readers hold no pooled connection ------------------------------------------


def test_seventy_readers_that_never_read_do_not_block_anyone(world: World) -> None:
    """More stalled GETs than the registry pool has connections (64): everyone else still
    gets answers, because no connection is held while a body waits for its client."""
    bob = world.client(world.bob)
    bob.put_object(Bucket="bob-data", Key="big", Body=os.urandom(16 << 20))
    url = world.presigned_v4(world.bob, "GET", "/bob-data/big")
    target = url.split(str(world.server.port), 1)[1]
    stalled = []
    try:
        for _ in range(70):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", world.server.port))
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{world.server.port}\r\n\r\n".encode())
            stalled.append(sock)
        time.sleep(1.0)
        quick = world.client(world.bob, connect_timeout=5, read_timeout=20)
        quick.put_object(Bucket="bob-data", Key="while-stalled", Body=b"still writable")
        assert quick.get_object(Bucket="bob-data", Key="while-stalled")["Body"].read() == b"still writable"
        assert "while-stalled" in [o["Key"] for o in quick.list_objects_v2(Bucket="bob-data")["Contents"]]
        quick.delete_object(Bucket="bob-data", Key="while-stalled")
    finally:
        for sock in stalled:
            sock.close()
        bob.delete_object(Bucket="bob-data", Key="big")


@pytest.mark.parametrize("query", ["uploads=0", "uploads=1"])
def test_a_sub_resource_with_a_value_moto_cannot_place_is_a_400(world: World, query: str) -> None:
    """moto asserts on requests it cannot map to an operation: a 400, not a 500 (found by the fuzzer)."""
    response = world.signed(world.bob, "POST", f"/bob-data/k?{query}")
    assert (response.status_code, error_code(response)) == (400, "InvalidRequest"), response.text
