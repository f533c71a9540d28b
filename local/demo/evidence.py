"""`make demo`'s evidence steps: the customer uploads a small unboxing video through the presigned
POST the storefront API answers (plain HTTP multipart, as a browser form sends it), the upload
check records it and the workflow moves to review; support views it through a short-lived URL
(the view lands on the timeline); the warehouse attaches an inspection photo the same way."""

from __future__ import annotations

import urllib.request
import uuid
from typing import TYPE_CHECKING, Any

from local.sample_media import sample_photo, sample_video

if TYPE_CHECKING:
    from local.demo.harness import Journey

# Real files, made on the spot (local/sample_media.py): the upload check reads what they are.
DEMO_VIDEO = sample_video(seconds=4)
DEMO_PHOTO = sample_photo()


def form_post(url: str, fields: dict[str, str], content: bytes, content_type: str) -> int:
    """A multipart form POST with every field, then the file last, as S3's POST policy expects."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url,
        data=b"".join(parts),
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as answer:
        return int(answer.status)


def upload_unboxing_video(j: Journey, rma: str, api_key: str) -> None:
    """The customer's upload, then support's look at it; the return waits for review afterwards."""
    body = {"kind": "video", "content_type": "video/mp4", "size": len(DEMO_VIDEO)}
    offer: dict[str, Any] = j.api.call("POST", f"/v1/returns/{rma}/evidence", body, {"x-api-key": api_key})
    upload = offer["upload"]
    j.say(
        f"storefront: presigned POST for a video (exactly {upload['max_bytes']} bytes, "
        f"until {upload['expires_at']})"
    )
    status = form_post(upload["url"], upload["fields"], DEMO_VIDEO, "video/mp4")
    j.say(f"customer: uploaded {len(DEMO_VIDEO)} bytes of video/mp4 straight to S3 -> HTTP {status}")
    j.wait_status(rma, "pending_review", api_key=api_key, event="evidence.recorded")
    listed = j.api.call("GET", f"/admin/v1/returns/{rma}/evidence", headers=j.api.staff("support"))
    recorded = listed["items"][0] if listed["items"] else {}
    checksum = str(recorded.get("checksum_sha256"))[:12]
    j.check(
        f"evidence recorded: {recorded.get('size')} bytes, sha256 {checksum}..., "
        f"kept until {str(recorded.get('retain_until'))[:10]}",
        recorded.get("size") == len(DEMO_VIDEO),
    )
    view = j.api.call(
        "GET", f"/admin/v1/returns/{rma}/evidence/{recorded['evidence_id']}", headers=j.api.staff("support")
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(view["url"], timeout=30) as answer:
        seen = answer.read()
    j.check(
        "support watched it through a short-lived URL, and the view is on the timeline", seen == DEMO_VIDEO
    )


def attach_inspection_photo(j: Journey, rma: str) -> None:
    body = {"kind": "photo", "content_type": "image/jpeg", "size": len(DEMO_PHOTO)}
    offer = j.api.call("POST", f"/admin/v1/returns/{rma}/evidence", body, j.api.staff("warehouse"))
    form_post(offer["upload"]["url"], offer["upload"]["fields"], DEMO_PHOTO, "image/jpeg")
    j.wait(
        "inspection photo recorded",
        lambda: dict(
            j.api.call("GET", f"/admin/v1/returns/{rma}/evidence", headers=j.api.staff("warehouse"))
        ),
        lambda listed: any(e["uploaded_by"] == "staff:warehouse" for e in listed["items"]),
    )
    j.say("warehouse (staff API): inspection photo attached through a presigned POST")
