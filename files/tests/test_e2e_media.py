"""Phones' uploads end to end: gunicorn, a Celery worker on the `images` queue and one on
the `media` queue, Redis. HEIC and AVIF photos, MP4 (plain and rotated) and WebM videos,
WAV, MP3 and Ogg audio, each uploaded through the API and processed by its queue's worker;
truncated and lying videos end failed quickly; only the media worker receives video and audio."""

import io
import re
import time

import pytest
from PIL import Image

from testing import samples
from testing.brokers import queue_length
from testing.clients import LiveClient
from testing.live import gunicorn_server
from testing.workers import celery_worker, stack_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

VIDEO_KEYS = {"duration", "width", "height", "video_codec", "audio_codec", "frame_rate", "thumbnail"}
AUDIO_KEYS = {"duration", "codec", "sample_rate", "channels", "bitrate"}
SUCCEEDED = re.compile(r"Task files\.tasks\.process_file\[[0-9a-f-]+\] succeeded")



@pytest.fixture
def stack_env_dirs(tmp_path, media_root, broker_url):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    return var_dir, media_root, stack_env(var_dir=var_dir, media_root=media_root, broker_url=broker_url)


def thumbnail_size(client: LiveClient, body: dict) -> tuple[int, int]:
    response = client.session.get(body["result"]["thumbnail"], timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "WEBP"
        return image.size


def test_phone_uploads_are_processed_by_the_images_and_media_workers(stack_env_dirs):
    var_dir, media_root, env = stack_env_dirs
    uploads = {
        "heic": (samples.heic_rotated((80, 40)), "IMG_0001.HEIC"),
        "avif": (samples.avif((64, 48)), "photo.avif"),
        "mp4": (samples.mp4_h264(seconds=2, size=(320, 240)), "clip.mp4"),
        "rotated": (samples.mp4_h264(seconds=2, size=(160, 120), rotate=90), "portrait.mov"),
        "webm": (samples.webm(seconds=2), "clip.webm"),
        "wav": (samples.wav(seconds=2, rate=8000, channels=2), "voice.wav"),
        "mp3": (samples.mp3(seconds=2), "song.mp3"),
        "ogg": (samples.ogg_vorbis(seconds=2), "song.ogg"),
        "truncated": (samples.truncated(samples.mp4_h264(seconds=2)), "cut.mp4"),
        "lying": (samples.mp4_claiming_duration(3600), "lying.mp4"),
    }
    with gunicorn_server(var_dir=var_dir, media_root=media_root, env=env) as server, \
            celery_worker(queues=["images"], env=env, log_dir=var_dir, name="images") as images_worker, \
            celery_worker(queues=["media"], env=env, log_dir=var_dir, name="media") as media_worker:
        client = LiveClient(server.url)
        created = {key: client.upload(content, name) for key, (content, name) in uploads.items()}
        started = time.monotonic()
        done = {key: client.wait_finished(body["id"]) for key, body in created.items()}
        elapsed = time.monotonic() - started
        sizes = {key: thumbnail_size(client, done[key]) for key in ("heic", "avif", "mp4", "rotated", "webm")}

    assert {key: body["kind"] for key, body in done.items()} == {
        "heic": "image", "avif": "image", "mp4": "video", "rotated": "video", "webm": "video", "wav": "audio",
        "mp3": "audio", "ogg": "audio", "truncated": "video", "lying": "video"}
    assert {key: body["content_type"] for key, body in done.items() if key in ("heic", "avif", "webm")} == {
        "heic": "image/heic", "avif": "image/avif", "webm": "video/webm"}
    failed = {key for key, body in done.items() if body["status"] == "failed"}
    assert failed == {"truncated", "lying"}, {key: done[key]["error"] for key in failed}
    assert "truncated or damaged" in done["truncated"]["error"]
    assert "declares 1:00:00 but its data ends at 2.0 s" in done["lying"]["error"]
    assert done["truncated"]["result"] is None and done["lying"]["result"] is None
    assert elapsed < 60

    heic = done["heic"]["result"]
    assert {k: heic[k] for k in ("width", "height", "format", "frames")} == {
        "width": 40, "height": 80, "format": "HEIF", "frames": 1}
    assert sizes["heic"] == (40, 80)
    assert (done["avif"]["result"]["format"], sizes["avif"]) == ("AVIF", (64, 48))

    for key in ("mp4", "rotated", "webm"):
        assert set(done[key]["result"]) == VIDEO_KEYS, key
        assert done[key]["result"]["duration"] == pytest.approx(2.0, abs=0.05), key
        assert done[key]["result"]["frame_rate"] == 15.0, key
    assert {k: done["mp4"]["result"][k] for k in ("width", "height", "video_codec", "audio_codec")} == {
        "width": 320, "height": 240, "video_codec": "h264", "audio_codec": "aac"}
    assert sizes["mp4"] == (256, 192)
    assert (done["rotated"]["result"]["width"], done["rotated"]["result"]["height"], sizes["rotated"]) == (
        120, 160, (120, 160))
    assert (done["webm"]["result"]["video_codec"], done["webm"]["result"]["audio_codec"]) == ("vp8", "opus")

    for key, codec, rate, channels in (("wav", "pcm_s16le", 8000, 2), ("mp3", "mp3", 44100, 1),
                                       ("ogg", "vorbis", 44100, 1)):
        result = done[key]["result"]
        assert set(result) == AUDIO_KEYS, key
        assert (result["codec"], result["sample_rate"], result["channels"]) == (codec, rate, channels), key
        assert result["duration"] == pytest.approx(2.0, abs=0.05), key
        assert result["bitrate"] > 0, key
    assert done["wav"]["result"]["bitrate"] == 256_000
    # The eight video and audio jobs ran on the media worker, the two photos on the images worker.
    assert len(SUCCEEDED.findall(media_worker.text())) == 8
    assert len(SUCCEEDED.findall(images_worker.text())) == 2


def test_only_the_media_worker_receives_video_and_audio_jobs(stack_env_dirs, broker_url):
    var_dir, media_root, env = stack_env_dirs
    with gunicorn_server(var_dir=var_dir, media_root=media_root, env=env) as server:
        client = LiveClient(server.url)
        with celery_worker(queues=["images", "documents", "default"], env=env, log_dir=var_dir, name="others"):
            video = client.upload(samples.mp4_h264(seconds=1), "a.mp4")
            audio = client.upload(samples.wav(seconds=1), "a.wav")
            image = client.upload(samples.png(), "a.png")
            assert client.wait_finished(image["id"])["status"] == "processed"
            time.sleep(1.0)  # time enough for a wrongly routed job to be picked up
            assert client.get(video["id"])["status"] == "pending"
            assert client.get(audio["id"])["status"] == "pending"
            assert queue_length(broker_url, "media") == 2
        with celery_worker(queues=["media"], env=env, log_dir=var_dir, name="media"):
            assert client.wait_finished(video["id"])["status"] == "processed"
            assert client.wait_finished(audio["id"])["status"] == "processed"
            assert queue_length(broker_url, "media") == 0
