"""The boto3 client every benchmark uses: the bench credentials, checksums only when
required (as issue #7's reference figures were measured), no retries (a failure shows)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config


def s3_client(url: str, max_pool_connections: int = 10) -> Any:
    config = Config(
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        max_pool_connections=max_pool_connections,
        retries={"max_attempts": 1},
    )
    return boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        region_name="us-east-1",
        config=config,
    )
