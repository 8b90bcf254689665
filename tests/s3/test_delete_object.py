"""DeleteObject served by S3App itself (``S3App._delete_object``) answers as moto's handler
did, and leaves the same state: each scenario runs twice under ``mock_forge``, once served
here and once with the fast path turned off (moto's handler over the same backend), and
the two runs must agree on every status, version and delete-marker header and on what the
bucket then holds."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from moto_forge.mock import mock_forge
from moto_forge.s3.app import S3App

Outcome = tuple[int, str | None, str | None, str | None]
"""Status, error code, ``x-amz-version-id``, ``x-amz-delete-marker`` of one call."""


def _call(action: Callable[[], Any]) -> Outcome:
    try:
        meta = action()["ResponseMetadata"]
    except ClientError as exc:
        meta = exc.response["ResponseMetadata"]
        code = exc.response["Error"]["Code"]
    else:
        code = None
    headers = meta["HTTPHeaders"]
    return meta["HTTPStatusCode"], code, headers.get("x-amz-version-id"), headers.get("x-amz-delete-marker")


def _scenario(s3: Any) -> list[Any]:
    """Deletes of every kind; returns what each answered (version ids replaced by their
    order of appearance, so runs can be compared) and what the buckets hold afterwards."""
    seen: dict[str, str] = {}

    def norm(outcome: Outcome) -> tuple[Any, ...]:
        status, code, vid, marker = outcome
        if vid is not None and vid != "null":
            vid = seen.setdefault(vid, f"v{len(seen)}")
        return status, code, vid, marker

    s3.create_bucket(Bucket="plain")
    s3.put_object(Bucket="plain", Key="a", Body=b"1")
    s3.put_object(Bucket="plain", Key="tagged", Body=b"t", Tagging="k=v")
    out: list[Any] = [
        norm(_call(lambda: s3.delete_object(Bucket="plain", Key="a"))),
        norm(_call(lambda: s3.delete_object(Bucket="plain", Key="a"))),  # absent: still 204
        norm(_call(lambda: s3.delete_object(Bucket="plain", Key="never"))),
        norm(_call(lambda: s3.delete_object(Bucket="missing-bucket", Key="a"))),
        norm(_call(lambda: s3.delete_object(Bucket="plain", Key="a", VersionId="nosuchversion"))),
        norm(_call(lambda: s3.delete_object_tagging(Bucket="plain", Key="tagged"))),  # not DeleteObject
        s3.get_object_tagging(Bucket="plain", Key="tagged")["TagSet"],
    ]
    s3.put_object(Bucket="plain", Key="b", Body=b"2")
    out.append(norm(_call(lambda: s3.delete_object(Bucket="plain", Key="b", IfMatch='"nomatch"'))))
    out.append(sorted(o["Key"] for o in s3.list_objects_v2(Bucket="plain").get("Contents", [])))
    etag = s3.put_object(Bucket="plain", Key="c", Body=b"3")["ETag"]
    s3.put_object(Bucket="plain", Key="d", Body=b"4")
    out.append(norm(_call(lambda: s3.delete_object(Bucket="plain", Key="c", IfMatch=etag))))
    out.append(norm(_call(lambda: s3.delete_object(Bucket="plain", Key="d", IfMatch="*"))))
    out.append(norm(_call(lambda: s3.delete_object(Bucket="plain", Key="gone", IfMatch=etag))))
    if_absent = _call(lambda: s3.delete_object(Bucket="plain", Key="gone", IfMatch="*"))
    out.append(sorted(o["Key"] for o in s3.list_objects_v2(Bucket="plain").get("Contents", [])))

    s3.create_bucket(Bucket="versioned")
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket="versioned", Key="k", Body=b"1")["VersionId"]
    seen.setdefault(first, f"v{len(seen)}")
    s3.put_object(Bucket="versioned", Key="k", Body=b"2")
    marker = _call(lambda: s3.delete_object(Bucket="versioned", Key="k"))
    out.append(norm(marker))
    out.append(norm(_call(lambda: s3.delete_object(Bucket="versioned", Key="k", VersionId=first))))
    out.append(norm(_call(lambda: s3.delete_object(Bucket="versioned", Key="k", VersionId=str(marker[2])))))
    out.append(s3.get_object(Bucket="versioned", Key="k")["Body"].read())  # the marker went: "2" is back
    listed = s3.list_object_versions(Bucket="versioned")
    out.append(
        (
            [norm((0, None, v["VersionId"], None))[2] for v in listed.get("Versions", [])],
            len(listed.get("DeleteMarkers", [])),
        )
    )

    s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
    until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    kept = s3.put_object(
        Bucket="locked", Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until
    )["VersionId"]
    seen.setdefault(kept, f"v{len(seen)}")
    out.append(norm(_call(lambda: s3.delete_object(Bucket="locked", Key="k", VersionId=kept))))
    out.append(
        norm(_call(lambda: s3.delete_object(Bucket="locked", Key="k", VersionId=kept, BypassGovernanceRetention=True)))
    )
    out.append(len(s3.list_object_versions(Bucket="locked").get("Versions", [])))
    out.append(norm(if_absent))  # last: moto's path differs here (below)
    return out


def _run(monkeypatch: pytest.MonkeyPatch, served_here: bool) -> tuple[list[Any], int]:
    calls = 0
    original = S3App._delete_object

    def counted(self: S3App, *args: Any) -> Any:
        """Serve (or not), counting the deletes served here: answered, or refused by raising."""
        nonlocal calls
        if not served_here:
            return None
        try:
            answer = original(self, *args)
        except Exception:
            calls += 1
            raise
        calls += answer is not None
        return answer

    with monkeypatch.context() as patch:
        patch.setattr(S3App, "_delete_object", counted)
        with mock_forge():
            return _scenario(boto3.client("s3", region_name="us-east-1")), calls


def test_a_delete_served_here_answers_and_acts_as_motos_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    here, served = _run(monkeypatch, served_here=True)
    moto, moto_served = _run(monkeypatch, served_here=False)
    assert here[:-1] == moto[:-1]
    # If-Match: * on an absent key: S3's conditional deletes ask that it exist; moto's
    # handler took * for no condition.
    assert here[-1][:2] == (404, "NoSuchKey") and moto[-1] == (204, None, None, None)
    assert moto_served == 0
    # Every delete but the tagging one was served here: 10 + 3 + 2.
    assert served == 15
    # And what the scenario shows is S3's behaviour, not just agreement:
    assert here[0] == (204, None, None, None)
    assert here[3][:2] == (404, "NoSuchBucket")
    assert here[6] == []  # DeleteObjectTagging took the tags, not the object...
    assert here[8] == ["b", "tagged"]  # ...and the If-Match delete that failed kept "b"
    assert here[7][:2] == (412, "PreconditionFailed")
    assert here[9:13] == [
        (204, None, None, None),
        (204, None, None, None),
        (404, "NoSuchKey", None, None),
        ["b", "tagged"],
    ]
    assert here[13][3] == "true"  # a delete marker in the versioned bucket
    assert here[16] == b"2"
    assert here[18][:2] == (403, "AccessDenied")  # governance retention without the bypass
    assert here[19][0] == 204
    assert here[20] == 0


def test_an_if_match_delete_is_decided_on_the_tree_it_commits_to(monkeypatch: pytest.MonkeyPatch) -> None:
    """An overwrite landing after the delete was asked for, before it commits: the delete's
    ``If-Match`` (the old ETag) fails against the new object, which stays.  moto's handler
    checked the ETag before deleting, so there the new object was deleted."""
    from moto_forge.bucket.writes import Writes

    def outcome(served_here: bool) -> tuple[Outcome, bytes | None]:
        original = Writes.delete_objects
        with monkeypatch.context() as patch, mock_forge():
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket="raced")
            old = s3.put_object(Bucket="raced", Key="k", Body=b"old")["ETag"]

            def overwritten_first(self: Writes, bucket: str, *args: Any, **kwargs: Any) -> Any:
                self.put_object(bucket, "k", __import__("io").BytesIO(b"new"))
                return original(self, bucket, *args, **kwargs)

            patch.setattr(Writes, "delete_objects", overwritten_first)
            if not served_here:
                patch.setattr(S3App, "_delete_object", lambda self, *args: None)
            answer = _call(lambda: s3.delete_object(Bucket="raced", Key="k", IfMatch=old))
            patch.setattr(Writes, "delete_objects", original)
            try:
                left: bytes | None = s3.get_object(Bucket="raced", Key="k")["Body"].read()
            except ClientError:
                left = None
            return answer, left

    answer, left = outcome(served_here=True)
    assert answer[:2] == (412, "PreconditionFailed")
    assert left == b"new"
    answer, left = outcome(served_here=False)  # moto's check-then-delete
    assert answer[0] == 204 and left is None
