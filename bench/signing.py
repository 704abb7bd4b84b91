"""What signed URLs cost a listing: a page of 100 Files serialized with and without
``download_url``/``thumbnail_url`` (files.signing), in-process, no database or network.

    python -m bench.signing [--rounds 200]

One HMAC-SHA256 per URL; ``reverse`` and the host check once per page (files.signing.FileUrls).
``--presign`` measures what presigning each URL with botocore (S3_PRESIGNED_DOWNLOADS) would add
instead, the alternative files.signing does not take.
"""

import argparse
import os
import statistics
import time
import uuid


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--presign", action="store_true",
                        help="also time presigning both URLs of each file with botocore (SigV4, no network)")
    args = parser.parse_args(argv)
    if args.presign:
        os.environ.update({"STORAGE_BACKEND": "s3", "S3_BUCKET": "bench", "S3_ACCESS_KEY_ID": "bench",
                           "S3_SECRET_ACCESS_KEY": "bench-secret", "S3_ENDPOINT_URL": "http://127.0.0.1:9"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)
    os.environ["DJANGO_ALLOWED_HOSTS"] = "uploads.example.com"
    import django

    django.setup()
    from django.utils import timezone
    from rest_framework.test import APIRequestFactory

    from files.models import File
    from files.serializers import FileSerializer

    class UnsignedSerializer(FileSerializer):
        class Meta(FileSerializer.Meta):
            fields = [f for f in FileSerializer.Meta.fields if f not in ("download_url", "thumbnail_url")]
            read_only_fields = fields

    now = timezone.now()
    page = []
    for i in range(args.page):
        file_id = uuid.uuid4()
        page.append(File(id=file_id, owner_id=1, name=f"photo {i}.jpg", file=f"uploads/{file_id.hex[:2]}/{file_id.hex}",
                         thumbnail=f"thumbnails/{file_id.hex[:2]}/{file_id.hex}.webp", size=48_213,
                         content_type="image/jpeg", kind="image", sha256="0" * 64, status="processed",
                         processed=True, uploaded_at=now, processed_at=now, status_changed_at=now,
                         result={"width": 640, "height": 480, "thumbnail": True}))
    request = APIRequestFactory().get("/api/v1/files/", HTTP_HOST="uploads.example.com")
    class PresignedSerializer(UnsignedSerializer):
        def to_representation(self, record):
            data = super().to_representation(record)
            for field, name in (("download_url", record.file.name), ("thumbnail_url", record.thumbnail.name)):
                data[field] = record.file.storage.presigned_get_url(name, expire=3600, response_headers={
                    "Content-Disposition": "attachment", "Content-Type": "image/jpeg"})
            return data

    serializers = {"without signed URLs": UnsignedSerializer, "with signed URLs": FileSerializer}
    if args.presign:
        serializers["presigned by botocore instead"] = PresignedSerializer
    timings: dict[str, list[float]] = {name: [] for name in serializers}
    for serializer in serializers.values():  # warm
        serializer(page, many=True, context={"request": request}).data  # noqa: B018
    for _ in range(args.rounds):
        for name, serializer in serializers.items():  # interleaved, so load on the machine hits both
            started = time.perf_counter()
            serializer(page, many=True, context={"request": request}).data  # noqa: B018
            timings[name].append((time.perf_counter() - started) * 1000)
    base = statistics.median(timings["without signed URLs"])
    signed = statistics.median(timings["with signed URLs"])
    print(f"| serializing {args.page} Files | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    for name, values in timings.items():
        values = sorted(values)
        print(f"| {name} | {statistics.median(values):.2f} | {values[int(len(values) * 0.95) - 1]:.2f} |")
    print(f"\nSigned URLs add {signed - base:.2f} ms per page of {args.page} "
          f"({(signed - base) / args.page * 1000:.1f} µs per file).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
