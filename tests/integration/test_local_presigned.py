"""What a browser or a carrier does with a presigned URL works locally: the URL points at moto's
server on loopback and a plain HTTP client (no AWS SDK) can upload and download with it."""

from __future__ import annotations

import urllib.request
import uuid
from typing import Any

import boto3


def test_a_presigned_upload_and_download_work_with_plain_http(local_aws: Any) -> None:
    s3 = boto3.client("s3")
    bucket = f"local-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "label.pdf"}, ExpiresIn=900
    )
    assert put_url.startswith(local_aws.moto_endpoint)
    request = urllib.request.Request(
        put_url, data=b"%PDF-1.4 label", method="PUT", headers={"Content-Type": "application/pdf"}
    )
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200
    get_url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "label.pdf"}, ExpiresIn=300
    )
    with urllib.request.urlopen(get_url) as answer:
        assert answer.read() == b"%PDF-1.4 label"
