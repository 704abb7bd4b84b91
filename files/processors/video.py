"""Videos (MP4, MOV, WebM, Matroska) with ffprobe and ffmpeg: duration, displayed size,
codecs, frame rate, and a poster frame as a WebP thumbnail.

Runs on the ``media`` queue (``FILES_QUEUE_BY_KIND``): a worker of its own, so a
long video never holds up images or documents. Limits: see ``files.processors.ffmpeg``.
"""

from ..enums import Kind
from .base import Source
from .ffmpeg import check_complete, check_limits, frame_rate, poster, probe, rotation

KIND = Kind.VIDEO
MIME_TYPES = frozenset({
    "video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/x-m4v", "video/3gpp",
})
# The poster is taken this far in (or a third of a shorter video): past a fade-in.
POSTER_AT = 1.0


def handles(content_type: str) -> bool:
    return content_type in MIME_TYPES


def process(source: Source) -> dict:
    with source.local_path() as path:
        found = probe(path, what="video")
        check_limits(found, what="video")
        check_complete(path, found, what="video")
        video, audio = found.first("video"), found.first("audio")
        thumbnail = None
        width = height = None
        if video is not None:
            width, height = video.get("width"), video.get("height")
            if abs(rotation(video)) % 180 == 90:
                width, height = height, width
            thumbnail = poster(path, at=min(POSTER_AT, found.duration / 3), what="video")
    return {
        "duration": round(found.duration, 3),
        "width": width,
        "height": height,
        "video_codec": video.get("codec_name") if video else None,
        "audio_codec": audio.get("codec_name") if audio else None,
        "frame_rate": frame_rate(video) if video else None,
        "thumbnail": thumbnail,
    }
