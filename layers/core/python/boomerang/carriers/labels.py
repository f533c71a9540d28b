"""Label PDFs in S3 (the label bucket), handed to customers through short-lived presigned GET URLs.

Keys carry the shop and the RMA only, no personal data: labels/<shop>/<rma>.pdf.
"""

from __future__ import annotations

from typing import Any

import boto3

# Long enough to open and print; short enough that a forwarded link soon stops working.
URL_SECONDS = 300


def label_key(shop: str, rma: str) -> str:
    return f"labels/{shop}/{rma}.pdf"


class LabelStore:
    def __init__(self, bucket: str, s3: Any | None = None):
        self.bucket = bucket
        self._s3 = s3

    @property
    def s3(self) -> Any:
        # Made on first use: a cold start that serves no label never builds an S3 client.
        if self._s3 is None:
            # SigV4: the only presigning every region accepts, with the expiry inside the signature.
            from botocore.config import Config

            self._s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
        return self._s3

    def put(self, shop: str, rma: str, pdf: bytes) -> str:
        key = label_key(shop, rma)
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=pdf,
            ContentType="application/pdf",
            ContentDisposition=f'inline; filename="return-label-{rma}.pdf"',
            ServerSideEncryption="AES256",
        )
        return key

    def url(self, key: str, seconds: int = URL_SECONDS) -> str:
        return str(
            self.s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds
            )
        )
