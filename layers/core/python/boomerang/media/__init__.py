"""Reading uploaded files for what they are: the adapter between the evidence check and the media
libraries (PyAV, whose wheels bundle FFmpeg, for videos; Pillow for photos).

It reads bytes and reports facts (`MediaFacts`: container, streams, measured duration, size,
location data); the rules those facts must meet are boomerang.domain.evidence's. It also makes what
staff look at: still frames of a video, a preview of a photo, and a photo's copy without its
location (EXIF GPS).

Untrusted input meets native parsers here, so each file is opened with the one demuxer or decoder
its declared type names (no probing across FFmpeg's formats: an HLS playlist posing as a video
would otherwise reach out for the files it lists), images above a pixel budget are refused before
decoding, and any error a parser raises is a refusal reason, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass

from boomerang.domain.evidence import EvidenceKind, MediaFacts

STILL_MAX_SIDE = 640
STILL_QUALITY = 80


@dataclass(frozen=True)
class Still:
    """A JPEG for the staff view: a video's frame at `at_seconds`, or a photo's preview."""

    jpeg: bytes
    width: int
    height: int
    at_seconds: float | None = None


def probe(path: str, kind: EvidenceKind, content_type: str, max_pixels: int) -> MediaFacts:
    """What the file at `path` is, read as the declared kind and type; never raises for bad input."""
    if kind is EvidenceKind.VIDEO:
        from boomerang.media.video import video_facts

        return video_facts(path, content_type)
    from boomerang.media.photo import photo_facts

    return photo_facts(path, content_type, max_pixels)


__all__ = ["STILL_MAX_SIDE", "STILL_QUALITY", "MediaFacts", "Still", "probe"]
