"""Photos through Pillow: decoded in full with the one decoder the declared type names, their
location (EXIF GPS) removed from the copy kept for staff, and a preview."""

from __future__ import annotations

import io
import warnings

from PIL import ExifTags, Image, UnidentifiedImageError

from boomerang.domain.evidence import MediaFacts
from boomerang.media import STILL_MAX_SIDE, STILL_QUALITY, Still

FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# What Pillow reports -> the container names of domain/evidence.py (an iPhone's MPO is a JPEG).
CONTAINER = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp"}
GPS = int(ExifTags.IFD.GPSInfo)
ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError)


def _open(source: str | io.BytesIO, max_pixels: int) -> Image.Image:
    # Only the decoders of the types evidence may be; the whole set so a mismatch can be named.
    image = Image.open(source, formats=list(FORMAT.values()))
    width, height = image.size
    if width * height > max_pixels:
        raise ValueError(f"{width}x{height} is more than {max_pixels} pixels")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image.load()  # every pixel: a truncated or corrupt file fails here
    return image


def photo_facts(path: str, content_type: str, max_pixels: int) -> MediaFacts:
    try:
        with _open(path, max_pixels) as image:
            return MediaFacts(
                decoded=True,
                container=CONTAINER.get(image.format or "", (image.format or "unknown").lower()),
                width=image.width,
                height=image.height,
                has_location=bool(image.getexif().get_ifd(GPS)) or GPS in image.getexif(),
            )
    except ERRORS as error:
        return MediaFacts(decoded=False, error=type(error).__name__)


def photo_for_staff(path: str, content_type: str, max_pixels: int) -> bytes:
    """The photo as kept: the same format and pixels, its EXIF without the GPS block, and nothing
    else a camera or app attached (XMP, comments, text chunks, which may also hold a place)."""
    with _open(path, max_pixels) as image:
        exif = image.getexif()
        exif.pop(GPS, None)
        options: dict[str, object] = {"exif": exif.tobytes()}
        if icc := image.info.get("icc_profile"):
            options["icc_profile"] = icc
        target = FORMAT[content_type]
        if target == "JPEG":
            # The original quantization tables: no second round of JPEG loss.
            options["quality"] = "keep" if image.format == "JPEG" else 95
            options["subsampling"] = "keep" if image.format == "JPEG" else 0
        elif target == "WEBP":
            options["quality"] = 95
        out = io.BytesIO()
        image.save(out, target, **options)
        return out.getvalue()


def photo_still(data: bytes) -> Still:
    """A preview of the kept photo (already without location)."""
    with Image.open(io.BytesIO(data)) as opened:
        preview = opened.convert("RGB")
    preview.thumbnail((STILL_MAX_SIDE, STILL_MAX_SIDE))
    out = io.BytesIO()
    preview.save(out, "JPEG", quality=STILL_QUALITY)
    return Still(out.getvalue(), preview.width, preview.height)
