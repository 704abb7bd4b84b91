"""Video and audio through the real upload endpoint and the real pipeline (in-process), with
samples made by ffmpeg: result keys per the contract, poster frames, and the limits a hostile
file cannot get past."""

import time

import pytest

from files.models import Status
from testing import samples
from testing.uploads import stored_thumbnail as poster_of
from testing.uploads import uploaded_and_processed as processed

pytestmark = pytest.mark.django_db

VIDEO_KEYS = {"duration", "width", "height", "video_codec", "audio_codec", "frame_rate", "thumbnail"}
AUDIO_KEYS = {"duration", "codec", "sample_rate", "channels", "bitrate"}




def test_an_h264_mp4_has_its_metadata_and_a_poster_frame(storage_backend, auth_client):
    record = processed(auth_client, samples.mp4_h264(seconds=2, size=(320, 240)), "clip.bin")
    assert (record.content_type, record.kind, record.status) == ("video/mp4", "video", Status.PROCESSED)
    assert record.result == {"duration": 2.0, "width": 320, "height": 240, "video_codec": "h264",
                             "audio_codec": "aac", "frame_rate": 15.0, "thumbnail": True}
    poster = poster_of(record)
    assert (poster.format, poster.size) == ("WEBP", (256, 192))
    served = auth_client.get(f"/api/v1/files/{record.pk}/")
    assert served.json()["result"]["thumbnail"].endswith(f"/api/v1/files/{record.pk}/thumbnail/")


def test_a_webm_is_a_video(auth_client):
    record = processed(auth_client, samples.webm(), "clip.webm")
    assert (record.content_type, record.kind) == ("video/webm", "video")
    assert set(record.result) == VIDEO_KEYS
    assert record.result["video_codec"] == "vp8" and record.result["audio_codec"] == "opus"
    assert (record.result["width"], record.result["height"]) == (160, 120)
    assert record.result["duration"] == pytest.approx(2.0, abs=0.05)
    assert poster_of(record).size == (160, 120)


def test_a_rotated_phone_video_reports_its_size_as_displayed(auth_client):
    record = processed(auth_client, samples.mp4_h264(size=(160, 120), rotate=90), "portrait.mp4")
    assert (record.result["width"], record.result["height"]) == (120, 160)
    assert poster_of(record).size == (120, 160)


def test_a_video_without_sound_has_no_audio_codec(auth_client):
    silent = samples.ffmpeg_output(["-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=10", "-c:v", "libx264",
                              "-preset", "ultrafast", "-pix_fmt", "yuv420p"], ".mp4")
    record = processed(auth_client, silent, "silent.mp4")
    assert record.result["audio_codec"] is None
    assert record.result["frame_rate"] == 10.0


@pytest.mark.parametrize(("sample", "content_type", "codec", "sample_rate", "channels"), [
    (samples.wav, "audio/x-wav", "pcm_s16le", 8000, 2),
    (samples.mp3, "audio/mpeg", "mp3", 44100, 1),
    (samples.ogg_vorbis, "audio/ogg", "vorbis", 44100, 1),
], ids=["wav", "mp3", "ogg"])
def test_audio_has_duration_codec_rate_channels_bitrate(auth_client, sample, content_type, codec, sample_rate,
                                                         channels):
    record = processed(auth_client, sample(), "sound.bin")
    assert (record.content_type, record.kind, record.status) == (content_type, "audio", Status.PROCESSED)
    assert set(record.result) == AUDIO_KEYS
    assert (record.result["codec"], record.result["sample_rate"], record.result["channels"]) == (
        codec, sample_rate, channels)
    assert record.result["duration"] == pytest.approx(2.0, abs=0.05)
    assert record.result["bitrate"] > 0
    assert not record.thumbnail
    assert auth_client.get(f"/api/v1/files/{record.pk}/thumbnail/").status_code == 404


def test_wav_bitrate_is_exact(auth_client):
    record = processed(auth_client, samples.wav(rate=8000, channels=2), "a.wav")
    assert record.result["bitrate"] == 8000 * 2 * 16


@pytest.mark.parametrize(("sample", "expected"), [
    (lambda: samples.truncated(samples.mp4_h264(seconds=2)), "declares 2.0 s but its data ends at"),
    (lambda: samples.mp4_claiming_duration(3600), "declares 1:00:00 but its data ends at 2.0 s"),
    (lambda: samples.mp4_claiming_duration(36_000), "lasts 10:00:00; the limit is 3:00:00"),
    (lambda: samples.mp4_h264()[:400], "corrupt, truncated or not in a supported format"),
], ids=["truncated", "lying-duration", "over-the-duration-limit", "cut-in-the-header"])
def test_truncated_or_lying_videos_fail_quickly_with_a_clear_error(auth_client, sample, expected):
    data = sample()
    started = time.monotonic()
    record = processed(auth_client, data, "bad.mp4")
    assert time.monotonic() - started < 5
    assert (record.kind, record.status) == ("video", Status.FAILED)
    assert expected in record.error
    assert record.result is None and not record.thumbnail


def test_frames_larger_than_the_limit_are_refused_before_decoding(auth_client, settings):
    settings.FILES_VIDEO_MAX_DIMENSION = 100
    record = processed(auth_client, samples.mp4_h264(size=(160, 120)), "big.mp4")
    assert record.status == Status.FAILED
    assert record.error == "The video's frames are 160×120; the limit is 100 pixels a side."


def test_too_many_streams_are_refused(auth_client, settings):
    settings.FILES_MEDIA_MAX_STREAMS = 1
    record = processed(auth_client, samples.mp4_h264(), "two-streams.mp4")
    assert record.status == Status.FAILED
    assert record.error == "The video has 2 streams; the limit is 1."


def test_a_slow_tool_is_stopped_at_the_time_limit(auth_client, settings):
    settings.FILES_MEDIA_TIMEOUT = 0.001
    record = processed(auth_client, samples.mp3(), "slow.mp3")
    assert record.status == Status.FAILED
    assert "took longer than 0.001 s" in record.error
