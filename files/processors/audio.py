"""Audio (MP3, M4A/AAC, WAV, Ogg/Opus, FLAC) with ffprobe: duration, codec, sample
rate, channels, bitrate. No thumbnail.

Runs on the ``media`` queue (``FILES_QUEUE_BY_KIND``). Limits: see ``files.processors.ffmpeg``.
"""

from ..enums import Kind
from .base import ProcessingError, Source
from .ffmpeg import check_complete, check_limits, probe

KIND = Kind.AUDIO
MIME_TYPES = frozenset({
    "audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/aac", "audio/x-hx-aac-adts", "audio/wav", "audio/x-wav",
    "audio/vnd.wave", "audio/ogg", "audio/opus", "audio/flac", "audio/x-flac",
})


def handles(content_type: str) -> bool:
    return content_type in MIME_TYPES


def process(source: Source) -> dict:
    with source.local_path() as path:
        found = probe(path, what="audio")
        check_limits(found, what="audio")
        audio = found.first("audio")
        if audio is None:
            raise ProcessingError("The file has no audio stream.")
        check_complete(path, found, what="audio")
    bitrate = _int(audio.get("bit_rate")) or _int(found.format.get("bit_rate"))
    return {
        "duration": round(found.duration, 3),
        "codec": audio.get("codec_name"),
        "sample_rate": _int(audio.get("sample_rate")),
        "channels": audio.get("channels"),
        "bitrate": bitrate,
    }


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
