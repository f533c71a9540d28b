"""Videos through PyAV (FFmpeg): the container and its video stream, the duration measured from the
packets themselves (a header may claim any length), and still frames for staff."""

from __future__ import annotations

import io
import logging
from fractions import Fraction

import av
from av.container import InputContainer

from boomerang.domain.evidence import MediaFacts
from boomerang.media import STILL_MAX_SIDE, STILL_QUALITY, Still

log = logging.getLogger(__name__)

# The one FFmpeg demuxer each declared type is read with, and the container name it reports.
DEMUXER = {"video/mp4": "mov", "video/quicktime": "mov", "video/webm": "matroska"}
CONTAINER = {"mov": "mp4", "matroska": "webm"}
# A packet count beyond which a file is not an evidence video (a 1-hour 60 fps video has 216,000).
MAX_PACKETS = 1_000_000


def _open(path: str, content_type: str) -> InputContainer:
    demuxer = DEMUXER.get(content_type)
    if demuxer is None:
        raise ValueError(f"no demuxer for {content_type}")
    # enable_drefs stays off (FFmpeg's default): an MP4 cannot point the demuxer at other files.
    return av.open(path, mode="r", format=demuxer, options={"enable_drefs": "0"})


def video_facts(path: str, content_type: str) -> MediaFacts:
    try:
        with _open(path, content_type) as container:
            demuxer = DEMUXER[content_type]
            if not container.streams.video:
                return MediaFacts(decoded=True, container=CONTAINER[demuxer], has_video=False)
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            context = stream.codec_context
            width, height, codec = context.width, context.height, context.name
            start: Fraction | None = None
            end: Fraction | None = None
            packets = 0
            for packet in container.demux(stream):
                if packet.pts is None or packet.time_base is None:
                    continue
                packets += 1
                if packets > MAX_PACKETS:
                    return MediaFacts(decoded=False, error="too many packets")
                begin = packet.pts * packet.time_base
                finish = (packet.pts + (packet.duration or 0)) * packet.time_base
                start = begin if start is None else min(start, begin)
                end = finish if end is None else max(end, finish)
            if not packets or start is None or end is None:
                return MediaFacts(decoded=False, error="no video packets")
            duration = round(float(end - start), 3)
        # The stream must also decode: a header with garbage behind it is no video.
        if _first_frame(path, content_type) is None:
            return MediaFacts(decoded=False, error="no decodable frame")
        return MediaFacts(
            decoded=True,
            container=CONTAINER[demuxer],
            has_video=True,
            codec=codec,
            duration_seconds=duration,
            width=width,
            height=height,
        )
    except (av.FFmpegError, ValueError, OSError, EOFError) as error:
        return MediaFacts(decoded=False, error=type(error).__name__)


def _first_frame(path: str, content_type: str) -> av.VideoFrame | None:
    with _open(path, content_type) as container:
        for frame in container.decode(video=0):
            return frame
    return None


def video_stills(path: str, content_type: str, count: int, duration_seconds: float) -> list[Still]:
    """Up to `count` frames spread over the video (at 1/(n+1), 2/(n+1)... of its length), as JPEGs."""
    stills: list[Still] = []
    targets = [duration_seconds * (i + 1) / (count + 1) for i in range(count)]
    try:
        with _open(path, content_type) as container:
            stream = container.streams.video[0]
            time_base = stream.time_base or Fraction(1, 1_000_000)
            origin = stream.start_time or 0
            for target in targets:
                container.seek(origin + int(target / time_base), stream=stream, backward=True)
                chosen: av.VideoFrame | None = None
                for frame in container.decode(stream):
                    chosen = frame
                    if frame.time is not None and frame.time - float(origin * time_base) >= target:
                        break
                if chosen is not None:
                    stills.append(_jpeg(chosen, round(target, 3)))
    except (av.FFmpegError, ValueError, OSError, EOFError) as error:
        # Stills help staff; a video that passed the check but resists seeking keeps what was made.
        log.warning("still frames stopped early", extra={"error": type(error).__name__})
    return stills


def _jpeg(frame: av.VideoFrame, at_seconds: float) -> Still:
    image = frame.to_image()
    image.thumbnail((STILL_MAX_SIDE, STILL_MAX_SIDE))
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=STILL_QUALITY)
    return Still(out.getvalue(), image.width, image.height, at_seconds)
