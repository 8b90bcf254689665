"""``mock_forge`` against ``mock_aws``: the wall time of 100 small S3 tests (each: a fresh
mock, a bucket, three 1 KiB objects written, read back and listed), under each mock in
the same process, alternating, 3 rounds; medians.  The issue's target: mock_forge at most
1.3x mock_aws.

Run with ``make bench`` (or ``python -m bench.mock``); writes ``bench/results/mock.json``.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.report import report

TESTS = 100
ROUNDS = 3


def one_test() -> None:
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bench")
    for n in range(3):
        s3.put_object(Bucket="bench", Key=f"k{n}", Body=os.urandom(1024))
    for n in range(3):
        s3.get_object(Bucket="bench", Key=f"k{n}")["Body"].read()
    assert s3.list_objects_v2(Bucket="bench")["KeyCount"] == 3


def timed(mock: Callable[[], Any]) -> float:
    started = time.perf_counter()
    for _ in range(TESTS):
        with mock():
            one_test()
    return time.perf_counter() - started


def main() -> None:
    from moto import mock_aws

    from moto_forge import mock_forge

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    timed(mock_aws)  # warm imports and botocore's model caches for both
    timed(mock_forge)
    aws, forge = [], []
    for _ in range(ROUNDS):
        aws.append(timed(mock_aws))
        forge.append(timed(mock_forge))
    results = {
        f"{TESTS} tests under mock_aws (s)": statistics.median(aws),
        f"{TESTS} tests under mock_forge (s)": statistics.median(forge),
        "mock_forge / mock_aws (target <= 1.3)": statistics.median(forge) / statistics.median(aws),
    }
    report("mock", "mock_forge vs mock_aws", results)


if __name__ == "__main__":
    main()
