"""ffprobe and ffmpeg (Debian's) as subprocesses, for the video and audio processors.

What a hostile file cannot get past: each run has a time limit
(``FILES_MEDIA_TIMEOUT``), no shell, no stdin, reads one local file through
the ``file`` protocol only (no network, no playlist pulling other files) and
only with the demuxers of the formats we accept; the duration, dimensions and
number of streams the header declares are checked before any frame is
decoded; and the packets near the declared end must exist, so a truncated file
or one that lies about its duration ends ``failed`` instead of
``processed`` with made-up numbers.
"""

import io
import json
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from .base import ProcessingError

# Demuxers we let ffmpeg use (MP4/MOV/M4A, WebM/Matroska, MP3, WAV, Ogg/Opus, FLAC, ADTS AAC).
DEMUXERS = "mov,matroska,mp3,wav,ogg,flac,aac"
THUMBNAIL_SIZE = 256
# At most this many packets are read back from the last keyframe before the end;
# a file with no keyframe that near its end is checked that far.
TAIL_PACKETS = 20_000
# A declared duration may be an estimate (MP3 without a VBR header): the data
# must reach 90% of it, less half a second.
END_TOLERANCE_SHARE = 0.9
END_TOLERANCE_SECONDS = 0.5
STDERR_SHOWN = 300


@dataclass(frozen=True)
class Probe:
    """What ffprobe found in the header, and where the data really ends."""

    duration: float
    streams: list[dict]
    format: dict
    data_end: float | None

    def first(self, codec_type: str) -> dict | None:
        return next((s for s in self.streams if s.get("codec_type") == codec_type
                     and not s.get("disposition", {}).get("attached_pic")), None)


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        # Not the file's fault: the worker is missing a package. The task retries.
        raise RuntimeError(f"{name} is not installed (Debian package ffmpeg; see scripts/system-deps.sh).")
    return path


def run(tool: str, args: list[str], *, what: str) -> bytes:
    """``tool args`` with the time limit; its stdout, or ProcessingError saying ``what`` failed."""
    timeout = settings.FILES_MEDIA_TIMEOUT
    command = [_binary(tool), "-hide_banner", "-v", "error", "-protocol_whitelist", "file",
               "-format_whitelist", DEMUXERS, *args]
    try:
        completed = subprocess.run(command, capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout,
                                   check=False)
    except subprocess.TimeoutExpired as exc:
        raise ProcessingError(f"Reading the {what} took longer than {timeout} s; the file is too complex "
                              "or damaged.") from exc
    if completed.returncode != 0:
        reason = completed.stderr.decode(errors="replace").strip().splitlines()
        detail = reason[-1][:STDERR_SHOWN] if reason else f"exit status {completed.returncode}"
        raise ProcessingError(f"The {what} is corrupt, truncated or not in a supported format ({detail}).")
    return completed.stdout


def _seconds(value) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds == seconds and seconds >= 0 else None  # NaN is not a duration


def probe(path: str, *, what: str) -> Probe:
    """The header (format, streams) and the packets from the last keyframe to the end, in one run."""
    output = run("ffprobe", ["-print_format", "json", "-show_format", "-show_streams",
                             "-show_entries", "packet=pts_time,duration_time",
                             "-read_intervals", f"999999999%+#{TAIL_PACKETS}", "-i", f"file:{path}"], what=what)
    try:
        found = json.loads(output)
    except ValueError as exc:
        raise ProcessingError(f"The {what} could not be read.") from exc
    streams, container = found.get("streams") or [], found.get("format") or {}
    durations = [_seconds(container.get("duration")), *(_seconds(s.get("duration")) for s in streams)]
    duration = max((d for d in durations if d is not None), default=None)
    if duration is None:
        raise ProcessingError(f"The {what} declares no duration; it is corrupt or truncated.")
    ends = [start + (_seconds(p.get("duration_time")) or 0)
            for p in found.get("packets") or () if (start := _seconds(p.get("pts_time"))) is not None]
    return Probe(duration=duration, streams=streams, format=container, data_end=max(ends, default=None))


def check_limits(found: Probe, *, what: str) -> None:
    """Refuse what a worker should not decode: too long, too many streams, frames too large."""
    max_duration = settings.FILES_MEDIA_MAX_DURATION
    if found.duration > max_duration:
        raise ProcessingError(f"The {what} lasts {_clock(found.duration)}; the limit is {_clock(max_duration)}.")
    max_streams = settings.FILES_MEDIA_MAX_STREAMS
    if len(found.streams) > max_streams:
        raise ProcessingError(f"The {what} has {len(found.streams)} streams; the limit is {max_streams}.")
    max_side = settings.FILES_VIDEO_MAX_DIMENSION
    for stream in found.streams:
        width, height = stream.get("width") or 0, stream.get("height") or 0
        if width > max_side or height > max_side:
            raise ProcessingError(f"The {what}'s frames are {width}×{height}; the limit is {max_side} pixels "
                                  "a side.")


def check_complete(path: str, found: Probe, *, what: str) -> None:
    """Fail a file whose data ends well before the duration it declares (truncated, or lying)."""
    data_end = found.data_end
    if data_end is None:
        # Some demuxers (WAV) find nothing when asked past the end: look from just before it.
        start = max(found.duration - 2 * END_TOLERANCE_SECONDS, 0)
        output = run("ffprobe", ["-print_format", "json", "-show_entries", "packet=pts_time,duration_time",
                                 "-read_intervals", f"{start:.3f}%+#{TAIL_PACKETS}", "-i", f"file:{path}"], what=what)
        try:
            tail = json.loads(output)
        except ValueError as exc:
            raise ProcessingError(f"The {what} could not be read.") from exc
        ends = [start_time + (_seconds(p.get("duration_time")) or 0) for p in tail.get("packets") or ()
                if (start_time := _seconds(p.get("pts_time"))) is not None]
        data_end = max(ends, default=0.0)
    if data_end < found.duration * END_TOLERANCE_SHARE - END_TOLERANCE_SECONDS:
        raise ProcessingError(f"The {what} declares {_clock(found.duration)} but its data ends at "
                              f"{_clock(data_end)}: it is truncated or damaged.")


def frame_rate(stream: dict) -> float | None:
    for key in ("avg_frame_rate", "r_frame_rate"):
        try:
            rate = Fraction(stream.get(key) or "")
        except (ValueError, ZeroDivisionError):
            continue
        if rate > 0:
            return round(float(rate), 3)
    return None


def rotation(stream: dict) -> int:
    """Degrees the player rotates the frames (display matrix, or the older ``rotate`` tag)."""
    for side_data in stream.get("side_data_list") or ():
        if "rotation" in side_data:
            return int(float(side_data["rotation"]))
    try:
        return int(stream.get("tags", {}).get("rotate", 0))
    except ValueError:
        return 0


def poster(path: str, *, at: float, what: str) -> bytes:
    """One frame at ``at`` seconds, rotated as displayed, as a WebP of at most 256×256."""
    png = run("ffmpeg", ["-nostdin", "-threads", "2", "-ss", f"{at:.3f}", "-i", f"file:{path}",
                         "-map", "0:v:0", "-frames:v", "1",
                         "-vf", f"scale=w='min({THUMBNAIL_SIZE},iw)':h='min({THUMBNAIL_SIZE},ih)'"
                                ":force_original_aspect_ratio=decrease",
                         "-f", "image2pipe", "-c:v", "png", "pipe:1"], what=what)
    if not png:
        raise ProcessingError(f"The {what} has no frame that can be decoded; it is corrupt or truncated.")
    try:
        with Image.open(io.BytesIO(png), formats=["PNG"]) as frame:
            frame.load()
            out = io.BytesIO()
            frame.convert("RGB").save(out, format="WEBP", quality=80, method=4)
    except (UnidentifiedImageError, OSError) as exc:
        raise ProcessingError(f"The {what}'s poster frame could not be made.") from exc
    return out.getvalue()


def _clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{seconds:.1f} s"
