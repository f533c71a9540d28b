"""The check of an upload's bytes: read as the offered kind and type (boomerang.media), judged by
the shop's policy (domain/evidence.py), and, once accepted, what is kept: a video as uploaded, a
photo as its copy without location data, and still frames for staff."""

from __future__ import annotations

from dataclasses import dataclass, field

from boomerang.domain.evidence import EvidenceKind, EvidenceOffer, EvidencePolicy, MediaFacts
from boomerang.media import Still, probe


@dataclass(frozen=True)
class Checked:
    problems: list[dict[str, str]]
    facts: MediaFacts
    # A photo's copy without GPS (what is kept instead of the upload); None: keep the upload as is.
    kept: bytes | None = None
    stills: list[Still] = field(default_factory=list)


def check(path: str, offer: EvidenceOffer, size: int, content_type: str, policy: EvidencePolicy) -> Checked:
    facts = probe(path, offer.kind, offer.content_type, policy.max_photo_pixels)
    problems = policy.content_problems(offer, size, content_type, facts)
    if problems:
        return Checked(problems, facts)
    if offer.kind is EvidenceKind.VIDEO:
        from boomerang.media.video import video_stills

        stills = video_stills(path, offer.content_type, policy.still_frames, facts.duration_seconds or 0.0)
        return Checked([], facts, None, stills)
    from boomerang.media.photo import photo_for_staff, photo_still

    kept = photo_for_staff(path, offer.content_type, policy.max_photo_pixels)
    return Checked([], facts, kept, [photo_still(kept)])
