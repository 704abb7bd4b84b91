"""Processing throughput per kind for one worker process, against the library called in a loop."""

import io
import os
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .report import median, table, verdict
from .stack import Stack

TARGET_RATIO = 0.8
# The rate is timed from the rows' own timestamps (first publish to last
# processed_at), so polling only detects the end: rarely, so that it takes no
# CPU from the worker it measures (2 cores).
POLL_SECONDS = 0.25
TIMEOUT = 240


def _direct_image(path: str) -> None:
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        image.draft("RGB", (512, 512))
        frame = ImageOps.exif_transpose(image)
        frame.thumbnail((256, 256), Image.Resampling.LANCZOS, reducing_gap=2.0)
        frame.save(io.BytesIO(), format="WEBP", quality=80, method=4)


def _direct_text(path: str) -> None:
    text = Path(path).read_bytes().decode("utf-8")
    _ = (text.count("\n"), len(text.split()), len(text), text[:500])


def _direct_pdf(path: str) -> None:
    from pypdf import PdfReader

    reader = PdfReader(path)
    metadata = reader.metadata  # the processor's result: pages, encrypted, title, author
    _ = (len(reader.pages), reader.is_encrypted, metadata.title if metadata else None,
         metadata.author if metadata else None)


def _direct_zip(path: str) -> None:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    _ = (len(infos), sum(i.file_size for i in infos), sum(i.compress_size for i in infos))


def _direct_heic(path: str) -> None:
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    with Image.open(path) as image:
        frame = image.copy()
        frame.thumbnail((256, 256), Image.Resampling.LANCZOS, reducing_gap=2.0)
        frame.save(io.BytesIO(), format="WEBP", quality=80, method=4)


FFPROBE = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams"]


def _direct_video(path: str) -> None:
    """ffprobe's JSON and ffmpeg's poster frame, called directly (the WebP made as the pipeline does)."""
    import json
    import subprocess

    from PIL import Image

    json.loads(subprocess.run([*FFPROBE, path], capture_output=True, check=True).stdout)
    png = subprocess.run(["ffmpeg", "-v", "error", "-ss", "1", "-i", path, "-frames:v", "1", "-vf",
                          "scale=w=256:h=256:force_original_aspect_ratio=decrease", "-f", "image2pipe",
                          "-c:v", "png", "pipe:1"], capture_output=True, check=True).stdout
    with Image.open(io.BytesIO(png)) as frame:
        frame.convert("RGB").save(io.BytesIO(), format="WEBP", quality=80, method=4)


def _direct_audio(path: str) -> None:
    import json
    import subprocess

    json.loads(subprocess.run([*FFPROBE, path], capture_output=True, check=True).stdout)


@dataclass
class Case:
    label: str
    kind: str
    content_type: str
    make: object
    direct: object
    count: int


def cases(scale: float = 1.0, counts: dict | None = None) -> list[Case]:
    """The samples of the issues (JPEG, text, PDF, ZIP; HEIC, MP4, MP3); ``scale`` shrinks them for the
    smoke run."""
    from . import samples

    counts = counts or {}
    return [
        Case("12 MP JPEG → thumbnail", "image", "image/jpeg",
             lambda: samples.jpeg(int(4000 * scale) or 40, int(3000 * scale) or 30), _direct_image,
             counts.get("image", 12)),
        Case("10 MB UTF-8 text", "text", "text/plain",
             lambda: samples.text(int(10 * 1024 * 1024 * scale) or 1024), _direct_text, counts.get("text", 8)),
        Case("50-page PDF", "document", "application/pdf", lambda: samples.pdf(50), _direct_pdf,
             counts.get("document", 30)),
        Case("1,000-entry ZIP", "archive", "application/zip", lambda: samples.zip_archive(1000), _direct_zip,
             counts.get("archive", 30)),
        Case("12 MP HEIC → thumbnail", "image", "image/heic",
             lambda: samples.heic(int(4000 * scale) or 40, int(3000 * scale) or 30), _direct_heic,
             counts.get("heic", 8)),
        Case("10 s 720p H.264 MP4 → poster", "video", "video/mp4",
             lambda: samples.mp4(max(10 * scale, 2), int(1280 * scale) // 2 * 2 or 64,
                                 int(720 * scale) // 2 * 2 or 36), _direct_video, counts.get("video", 10)),
        Case("3 min MP3", "audio", "audio/mpeg", lambda: samples.mp3(max(180 * scale, 2)), _direct_audio,
             counts.get("audio", 20)),
    ]


def _pipeline(stack: Stack, owner, case: Case, source: Path, sha256: str) -> float:
    """Files/s of the real pipeline: rows committed, tasks published on the kind's queue,
    one worker process consuming; timed from the first publish to the last ``processed_at``."""
    from django.utils import timezone

    from files.models import File, Status
    from files.publishing import enqueue_processing

    records = []
    for _ in range(case.count):
        record = File(owner=owner, name=source.name, size=source.stat().st_size, content_type=case.content_type,
                      kind=case.kind, sha256=sha256)
        record.file.name = f"uploads/{record.id.hex[:2]}/{record.id.hex}"
        target = stack.media_root / record.file.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, target)
        records.append(record)
    File.objects.bulk_create(records)
    ids = [r.pk for r in records]
    started = timezone.now()
    for record in records:
        if not enqueue_processing(record):
            raise RuntimeError("could not publish")
    deadline = time.monotonic() + TIMEOUT
    rows = File.objects.filter(pk__in=ids)
    while rows.filter(status__in=[Status.PENDING, Status.PROCESSING]).exists():
        stack.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{case.label}: not processed within {TIMEOUT} s")
        time.sleep(POLL_SECONDS)
    failed = list(rows.filter(status=Status.FAILED).values_list("error", flat=True)[:3])
    if failed:
        raise RuntimeError(f"{case.label}: processing failed: {failed}")
    finished = max(rows.values_list("processed_at", flat=True))
    return case.count / (finished - started).total_seconds()


def _direct(case: Case, source: Path) -> float:
    started = time.perf_counter()
    for _ in range(case.count):
        case.direct(str(source))
    return case.count / (time.perf_counter() - started)


def processing(stack: Stack, *, rounds: int, scale: float = 1.0, counts: dict | None = None,
               baseline: Path | None = None) -> str:
    """Files/s per sample: direct, the pipeline, and (``baseline``: a tree with a change reversed) the
    pipeline with the workers running that tree, alternated round by round."""
    import hashlib

    from django.contrib.auth import get_user_model

    from .stack import BASE_DIR

    owner = get_user_model().objects.create(username="bench-processing", email="bench-processing@example.com")
    samples_dir = stack.dir / "samples"
    samples_dir.mkdir(exist_ok=True)
    samples = []
    for index, case in enumerate(cases(scale, counts)):
        content = case.make()
        # One file per case: the JPEG and the HEIC are both of kind image.
        source = samples_dir / f"{index}-{case.kind}.sample"
        source.write_bytes(content)
        samples.append((case, source, hashlib.sha256(content).hexdigest(), len(content)))
        case.direct(str(source))  # warm: imports, caches
    variants = [("pipeline", BASE_DIR)] + ([("before", baseline)] if baseline else [])
    measured = {case.label: {"direct": [], "pipeline": [], "before": []} for case, *_ in samples}
    current, warm = BASE_DIR, set()
    try:
        for round_index in range(rounds):
            for name, tree in variants if round_index % 2 == 0 else variants[::-1]:
                if tree != current:
                    stack.restart_workers(tree)
                    current, warm = tree, set()
                for case, source, sha256, _ in samples:
                    if case.kind not in warm:  # the worker's first task of a kind (imports, connections)
                        _pipeline(stack, owner, Case(case.label, case.kind, case.content_type, None, None, 1),
                                  source, sha256)
                        warm.add(case.kind)
                    runs = measured[case.label]
                    if name == "pipeline" and round_index % 2 == 0:
                        runs["direct"].append(_direct(case, source))
                    runs[name].append(_pipeline(stack, owner, case, source, sha256))
                    if name == "pipeline" and round_index % 2 == 1:
                        runs["direct"].append(_direct(case, source))
    finally:
        if current != BASE_DIR:
            stack.restart_workers(BASE_DIR)
    rows = []
    for case, _, _, size in samples:
        runs = measured[case.label]
        ratio = median([p / d for p, d in zip(runs["pipeline"], runs["direct"], strict=True)])
        before = ([median(runs["before"]),
                   f"{median([b / d for b, d in zip(runs['before'], runs['direct'], strict=True)]):.2f}"]
                  if baseline else [])
        rows.append([case.label, f"{size / 1e6:.2f} MB", case.count, median(runs["direct"]), *before,
                     median(runs["pipeline"]), f"{ratio:.2f}", verdict(ratio >= TARGET_RATIO)])
    before_headers = ["before: pipeline files/s", "before ÷ direct"] if baseline else []
    return "\n".join([
        f"One Celery worker process (`-c 1`) on the kind's queue, the files committed as rows and published "
        f"back to back; files/s from the first publish to the last `processed_at`. *Direct* calls the same "
        f"library on the same file in a loop in one process. {rounds} rounds alternating, medians; "
        f"target pipeline ≥ {TARGET_RATIO}× direct."
        + (" *Before*: the workers run this tree with the baseline patch reversed, alternated with the "
           "current tree round by round (workers restarted and warmed at each switch)." if baseline else "")
        + "\n",
        table(["sample", "size", "files/round", "direct files/s", *before_headers, "pipeline files/s",
               "pipeline ÷ direct", "target"], rows),
    ])
