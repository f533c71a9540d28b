"""Label PDFs in S3 (the label bucket), handed to customers through short-lived presigned GET URLs.

Keys carry the shop and the RMA only, no personal data: labels/<shop>/<rma>.pdf.
"""

from __future__ import annotations

from typing import Any

import boto3

# Long enough to open and print; short enough that a forwarded link soon stops working.
URL_SECONDS = 300


def label_key(shop: str, rma: str, document: str = "") -> str:
    """labels/<shop>/<rma>.pdf, and beside it labels/<shop>/<rma>-<document>.pdf (e.g. customs)."""
    return f"labels/{shop}/{rma}{'-' + document if document else ''}.pdf"


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

            from boomerang.timeouts import AWS

            self._s3 = boto3.client(
                "s3",
                config=Config(
                    signature_version="s3v4",
                    connect_timeout=AWS.timeout_seconds,
                    read_timeout=AWS.timeout_seconds,
                    retries={"max_attempts": AWS.attempts, "mode": "standard"},
                ),
            )
        return self._s3

    def put(self, shop: str, rma: str, pdf: bytes) -> str:
        return self.put_document(shop, rma, "", pdf)

    def put_document(self, shop: str, rma: str, document: str, pdf: bytes) -> str:
        """The label (document "") or a paper beside it, such as the commercial invoice ("customs")."""
        key = label_key(shop, rma, document)
        name = f"return-{document or 'label'}-{rma}.pdf"
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=pdf,
            ContentType="application/pdf",
            ContentDisposition=f'inline; filename="{name}"',
            ServerSideEncryption="AES256",
        )
        return key

    def url(self, key: str, seconds: int = URL_SECONDS) -> str:
        return str(
            self.s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds
            )
        )
