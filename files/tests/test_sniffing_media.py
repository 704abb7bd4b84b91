"""Every container the contract names for video and audio is recognised from its bytes
(never the name or the client's type) and processed by its kind's processor."""

import pytest

from files.enums import Kind
from files.models import Status
from files.sniffing import HEAD_SIZE, sniff
from testing import samples
from testing.uploads import process_inline, upload

pytestmark = pytest.mark.django_db

SINE = ["-f", "lavfi", "-i", "sine=duration=1:frequency=440"]
TESTSRC = ["-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=10", *SINE]
MEDIA = {
    "mp4": (lambda: samples.mp4_h264(seconds=1), "video/mp4", Kind.VIDEO),
    "mov": (lambda: samples.ffmpeg_output([*TESTSRC, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                                           "-shortest"], ".mov"), "video/quicktime", Kind.VIDEO),
    "webm": (lambda: samples.webm(seconds=1), "video/webm", Kind.VIDEO),
    "mkv": (lambda: samples.ffmpeg_output([*TESTSRC, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "flac",
                                           "-shortest"], ".mkv"), "video/x-matroska", Kind.VIDEO),
    "mp3": (lambda: samples.mp3(seconds=1), "audio/mpeg", Kind.AUDIO),
    "m4a": (lambda: samples.ffmpeg_output([*SINE, "-c:a", "aac"], ".m4a"), "audio/x-m4a", Kind.AUDIO),
    "aac": (lambda: samples.ffmpeg_output([*SINE, "-c:a", "aac", "-f", "adts"], ".aac"), "audio/x-hx-aac-adts",
            Kind.AUDIO),
    "wav": (lambda: samples.wav(seconds=1), "audio/x-wav", Kind.AUDIO),
    "ogg": (lambda: samples.ogg_vorbis(seconds=1), "audio/ogg", Kind.AUDIO),
    "opus": (lambda: samples.ffmpeg_output([*SINE, "-c:a", "libopus"], ".opus"), "audio/ogg", Kind.AUDIO),
    "flac": (lambda: samples.ffmpeg_output([*SINE, "-c:a", "flac"], ".flac"), "audio/flac", Kind.AUDIO),
    "heic": (samples.heic_rotated, "image/heic", Kind.IMAGE),
    "avif": (samples.avif, "image/avif", Kind.IMAGE),
}


@pytest.mark.parametrize("name", list(MEDIA))
def test_recognised_from_the_bytes_and_processed(auth_client, name):
    make, content_type, kind = MEDIA[name]
    content = make()
    sniffed = sniff(content[:HEAD_SIZE])
    assert (sniffed.content_type, sniffed.kind, sniffed.executable) == (content_type, kind, False)
    created = upload(auth_client, content, "upload.bin")  # the name says nothing
    assert created.status_code == 201, created.json()
    assert (created.json()["content_type"], created.json()["kind"]) == (content_type, kind)
    record = process_inline(created.json()["id"])
    assert record.status == Status.PROCESSED, record.error
    assert record.result["duration" if kind != Kind.IMAGE else "width"] > 0
