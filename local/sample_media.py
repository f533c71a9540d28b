"""Real, small evidence files made on the spot, for `make demo` and the tests: an MP4 (H.264,
encoded by PyAV's bundled FFmpeg) and a JPEG whose EXIF carries a GPS position (written by Pillow).

Both are generated, never recorded, so they carry no one's data: the video is a moving colour
gradient with a box that travels across it, the photo a gradient with a made-up camera and place.
"""

from __future__ import annotations

import io

import av
from PIL import ExifTags, Image, ImageDraw

# A made-up position (central Berlin) for the photo's EXIF GPS block.
GPS_POSITION = {"lat": ("N", (52.0, 31.0, 12.0)), "lon": ("E", (13.0, 24.0, 36.0))}


def _picture(width: int, height: int, step: int) -> Image.Image:
    image = Image.new("RGB", (width, height), (30 + step * 3 % 200, 90, 160))
    draw = ImageDraw.Draw(image)
    box = width // 6
    left = (step * 7) % max(1, width - box)
    draw.rectangle((left, height // 3, left + box, height // 3 + box), fill=(240, 200, 40))
    return image


def sample_video(seconds: float = 4, width: int = 320, height: int = 240, fps: int = 10) -> bytes:
    """An MP4 of `seconds` at `fps` frames per second (4 s of 320x240: about 20 KB)."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(fps)}  # a keyframe a second: stills seek well
        for step in range(max(1, round(seconds * fps))):
            frame = av.VideoFrame.from_image(_picture(width, height, step))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def sample_photo(width: int = 640, height: int = 480, gps: bool = True, fmt: str = "JPEG") -> bytes:
    """A photo with a camera's EXIF and, if `gps`, a GPS position in it."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Boomerang sample camera"
    exif[ExifTags.Base.Orientation] = 1
    if gps:
        block = exif.get_ifd(ExifTags.IFD.GPSInfo)
        block[ExifTags.GPS.GPSLatitudeRef], block[ExifTags.GPS.GPSLatitude] = GPS_POSITION["lat"]
        block[ExifTags.GPS.GPSLongitudeRef], block[ExifTags.GPS.GPSLongitude] = GPS_POSITION["lon"]
    out = io.BytesIO()
    _picture(width, height, 5).save(out, fmt, exif=exif)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    """Whether an image's EXIF holds a GPS block."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return bool(exif.get_ifd(ExifTags.IFD.GPSInfo)) or int(ExifTags.IFD.GPSInfo) in exif
