"""What an upload's bytes are (boomerang.media on files made in the test: a real MP4 encoded by PyAV,
JPEG/PNG/WebP photos with GPS EXIF written by Pillow, and the fakes issue 22 found accepted), and
the domain's rules on those facts (domain/evidence.py), without AWS."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from boomerang.domain.evidence import (
    EvidenceKind,
    EvidenceOffer,
    EvidencePolicy,
    MediaFacts,
    OfferKey,
    Uploader,
    customer_reason,
    still_key,
)
from boomerang.media import probe
from boomerang.media.photo import photo_for_staff, photo_still
from boomerang.media.video import video_stills
from local.sample_media import has_gps, sample_photo, sample_video

RULES = EvidencePolicy()
PIXELS = RULES.max_photo_pixels
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# A Windows executable's first bytes (the DOS header), renamed to .mp4 / .jpg.
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + os.urandom(4096)
# An HLS playlist posing as a video: FFmpeg would fetch what it lists if it probed formats freely.
PLAYLIST = b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"


def _file(tmp_path: Path, data: bytes, name: str = "upload") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _offer(kind: EvidenceKind, content_type: str, size: int) -> EvidenceOffer:
    key = OfferKey("K7Q-4M2-XAC", Uploader.CUSTOMER, "0" * 32)
    return EvidenceOffer(
        offer_id=key.offer_id, kind=kind, content_type=content_type, size=size, uploader=Uploader.CUSTOMER,
        actor="customer", bucket="q", region="us-east-1", key=key.key, offered_at=NOW,
        expires_at=NOW + timedelta(minutes=15),
    )  # fmt: skip


def _codes(kind: EvidenceKind, content_type: str, data: bytes, tmp_path: Path) -> list[str]:
    facts = probe(_file(tmp_path, data), kind, content_type, PIXELS)
    offer = _offer(kind, content_type, len(data))
    return [p["code"] for p in RULES.content_problems(offer, len(data), content_type, facts)]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("1 byte", b"\x00"),
        ("16 random bytes", os.urandom(16)),
        ("a renamed executable", EXECUTABLE),
        ("an MP4 header with nothing behind it", b"\x00\x00\x00\x18ftypmp42" + b"unboxing" * 64),
        ("an HLS playlist", PLAYLIST),
    ],
)
def test_fake_videos_are_not_videos(name: str, data: bytes, tmp_path: Path) -> None:
    assert _codes(EvidenceKind.VIDEO, "video/mp4", data, tmp_path) == ["not_a_video"], name


@pytest.mark.parametrize("data", [b"\x00", os.urandom(16), EXECUTABLE, b"\xff\xd8\xff\xe0" + bytes(64)])
def test_fake_photos_are_not_photos(data: bytes, tmp_path: Path) -> None:
    assert _codes(EvidenceKind.PHOTO, "image/jpeg", data, tmp_path) == ["not_a_photo"]


def test_a_real_short_mp4_is_a_video_with_its_measured_length(tmp_path: Path) -> None:
    video = sample_video(seconds=4)
    facts = probe(_file(tmp_path, video), EvidenceKind.VIDEO, "video/mp4", PIXELS)
    assert facts.decoded and facts.has_video and facts.container == "mp4" and facts.codec == "h264"
    assert facts.duration_seconds == pytest.approx(4.0, abs=0.15)
    assert (facts.width, facts.height) == (320, 240)
    assert _codes(EvidenceKind.VIDEO, "video/mp4", video, tmp_path) == []
    # An iPhone's .mov is labelled video/quicktime: the same container family, accepted.
    assert _codes(EvidenceKind.VIDEO, "video/quicktime", video, tmp_path) == []
    # Declared as WebM, it is read with the WebM demuxer only, and is none.
    assert _codes(EvidenceKind.VIDEO, "video/webm", video, tmp_path) == ["not_a_video"]


def test_the_policy_sets_a_minimum_length_and_resolution(tmp_path: Path) -> None:
    assert _codes(EvidenceKind.VIDEO, "video/mp4", sample_video(seconds=1), tmp_path) == ["too_short"]
    small = sample_video(seconds=4, width=160, height=120)
    assert _codes(EvidenceKind.VIDEO, "video/mp4", small, tmp_path) == ["resolution_too_low"]
    lenient = EvidencePolicy(min_video_seconds=0.5, min_video_short_side=100)
    facts = probe(_file(tmp_path, small), EvidenceKind.VIDEO, "video/mp4", PIXELS)
    assert lenient.content_problems(_offer(EvidenceKind.VIDEO, "video/mp4", len(small)), len(small),
                                    "video/mp4", facts) == []  # fmt: skip
    tiny = sample_photo(width=200, height=150)
    assert _codes(EvidenceKind.PHOTO, "image/jpeg", tiny, tmp_path) == ["resolution_too_low"]


def test_size_and_type_must_match_the_offer(tmp_path: Path) -> None:
    video = sample_video()
    facts = probe(_file(tmp_path, video), EvidenceKind.VIDEO, "video/mp4", PIXELS)
    offer = _offer(EvidenceKind.VIDEO, "video/mp4", 10)  # 20 KB declared as 10 B
    problems = RULES.content_problems(offer, len(video), "application/octet-stream", facts)
    assert [p["code"] for p in problems] == ["size_mismatch", "content_type_mismatch"]
    assert customer_reason(problems) == "not_as_declared"
    png = sample_photo(fmt="PNG")
    assert _codes(EvidenceKind.PHOTO, "image/jpeg", png, tmp_path) == ["type_mismatch"]


def test_a_video_has_still_frames_spread_over_it(tmp_path: Path) -> None:
    path = _file(tmp_path, sample_video(seconds=4))
    stills = video_stills(path, "video/mp4", 3, 4.0)
    assert [s.at_seconds for s in stills] == [1.0, 2.0, 3.0]
    for still in stills:
        assert still.jpeg[:3] == b"\xff\xd8\xff" and (still.width, still.height) == (320, 240)
    assert len({s.jpeg for s in stills}) == 3  # the box moved: three different pictures


@pytest.mark.parametrize(("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                                    ("WEBP", "image/webp")])  # fmt: skip
def test_a_photo_kept_for_staff_has_no_gps(fmt: str, content_type: str, tmp_path: Path) -> None:
    photo = sample_photo(fmt=fmt)
    assert has_gps(photo)
    path = _file(tmp_path, photo)
    facts = probe(path, EvidenceKind.PHOTO, content_type, PIXELS)
    assert facts.decoded and facts.has_location and facts.container == fmt.lower()
    kept = photo_for_staff(path, content_type, PIXELS)
    assert not has_gps(kept)
    again = probe(_file(tmp_path, kept, "kept"), EvidenceKind.PHOTO, content_type, PIXELS)
    assert again.decoded and not again.has_location and (again.width, again.height) == (640, 480)
    assert b"Boomerang sample camera" in kept  # the rest of the EXIF stays (orientation, camera)
    assert photo_still(kept).jpeg[:3] == b"\xff\xd8\xff"


def test_an_image_over_the_pixel_budget_is_refused_unread(tmp_path: Path) -> None:
    big = sample_photo(width=2000, height=1500)
    facts = probe(_file(tmp_path, big), EvidenceKind.PHOTO, "image/jpeg", 1_000_000)
    assert not facts.decoded and facts.error == "ValueError"


def test_offer_keys_name_the_return_the_uploader_and_the_offer() -> None:
    key = OfferKey("K7Q-4M2-XAC", Uploader.STAFF, "a" * 32)
    assert key.key == f"offers/K7Q-4M2-XAC/staff/{'a' * 32}"
    assert OfferKey.parse(key.key) == key
    assert key.evidence_key.key == f"returns/K7Q-4M2-XAC/staff/{'a' * 32}"
    assert still_key(key.evidence_key.key, 1).endswith(".still-1.jpg")
    for forged in [f"returns/K7Q-4M2-XAC/customer/{'a' * 32}", f"offers/K7Q-4M2-XAC/admin/{'a' * 32}",
                   f"offers/../customer/{'a' * 32}", f"offers/K7Q-4M2-XAC/customer/{'a' * 31}"]:  # fmt: skip
        assert OfferKey.parse(forged) is None


def test_only_checkable_types_are_offered() -> None:
    assert "image/heic" not in RULES.content_types(EvidenceKind.PHOTO)
    policy = EvidencePolicy(photo_content_types=("image/jpeg", "image/heic"))
    assert policy.content_types(EvidenceKind.PHOTO) == ("image/jpeg",)
    assert [p["code"] for p in policy.problems(EvidenceKind.PHOTO, "image/heic", 2048)] == [
        "content_type_not_allowed"
    ]
    assert RULES.max_offers(Uploader.CUSTOMER) == 10 and RULES.max_offers(Uploader.STAFF) == 50


def test_undecodable_facts_name_the_kind() -> None:
    offer = _offer(EvidenceKind.PHOTO, "image/png", 5)
    problems = RULES.content_problems(offer, 5, "image/png", MediaFacts(decoded=False, error="x"))
    assert [p["code"] for p in problems] == ["not_a_photo"] and customer_reason(problems) == "not_a_photo"
