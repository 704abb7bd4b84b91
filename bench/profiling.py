"""Profile of the upload request (pyinstrument) and the SQL it runs."""

from .loadgen import payload
from .stack import Stack


def profile_upload(stack: Stack, user, *, uploads: int, size: int = 10 * 1024) -> str:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler
    from rest_framework_simplejwt.tokens import RefreshToken

    token = str(RefreshToken.for_user(user).access_token)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    content = payload("random", size)  # bare random bytes sometimes sniff as a DOS executable

    def upload(name: str):
        from django.core.files.uploadedfile import SimpleUploadedFile

        response = client.post("/api/v1/upload/", {"file": SimpleUploadedFile(name, content)})
        assert response.status_code == 201, response.content[:300]

    upload("warm.bin")
    with CaptureQueriesContext(connection) as queries:
        upload("counted.bin")
    sql = [q["sql"] for q in queries.captured_queries]  # read now: the next request resets the log
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for index in range(uploads):
        upload(f"profiled-{index}.bin")
    profiler.stop()
    html = stack.dir.parent / "upload-profile.html" if stack.keep_dir else None
    if html is not None:
        html.write_text(profiler.output_html())
    text = profiler.output_text(unicode=True, color=False, show_all=False, short_mode=False)
    text_lines = [line for line in text.splitlines() if line.strip()]

    return "\n".join([
        f"{uploads} uploads of {size // 1024} KiB through Django's test client in this process (same "
        "settings, real PostgreSQL and Redis), sampled by pyinstrument. "
        f"SQL statements per upload: **{len(sql)}** "
        f"({sum(s.upper().count('INSERT INTO') for s in sql)} INSERT, counting those inside a WITH).\n",
        "```sql", *(s if len(s) < 600 else s[:597] + "..." for s in sql), "```", "",
        "<details><summary>pyinstrument call tree</summary>\n", "```",
        *text_lines[:80], "```", "</details>",
    ])


# What an upload's CPU is spent on, in this process: (label, "module:Class.attribute", whose work).
# "contract": required by the API of every upload, the reference does none of it; "both": the
# reference does the same; "app": what the app does beyond the contract's steps.
PARTS = [
    ("JWT decoding (the token's signature and claims)", "users.authentication:JWTAuthentication.get_validated_token",
     "contract"),
    ("the user's row (active, sessions ended)", "users.authentication:JWTAuthentication.get_user", "contract"),
    ("throttling (one Redis script)", "api.throttling:RedisRateThrottle.allow_request", "contract"),
    ("multipart parsing, sha256 and the head, DRF's request", "rest_framework.request:Request._load_data_and_files",
     "both"),
    ("multipart parsing (Django's request)", "django.http.request:HttpRequest._load_post_and_files", "both"),
    ("sniffing the type (libmagic) and the name checks", "files.services:file_check", "contract"),
    ("writing the bytes to storage", "django.db.models.fields.files:FieldFile.save", "both"),
    ("the upload's statement (quota, row, event, NOTIFY, webhooks)", "files.services:_file_insert", "both"),
    ("the reference's INSERT", "django.db.models.base:Model.save", "both"),
    ("publishing the task", "files.services:enqueue_processing", "both"),  # as files.services calls it
    ("publishing the task (reference)", "celery.app.task:Task.apply_async", "both"),
    ("the 201's body and Location (serializer)", "files.views:UploadView._created", "contract"),
]


def cpu_breakdown(user, *, uploads: int, size: int = 10 * 1024) -> str:
    """CPU per upload by part, the app beside the reference view, both called in this process.

    Each part is timed with ``time.process_time`` around the named function,
    exclusive of the other parts it calls (the upload's statement publishes the
    task from inside it when it commits on its own); "everything else" is the
    request minus the parts: middleware, DRF's and Django's dispatch, URL
    resolution, the test client's own request building.
    """
    import collections
    import importlib
    import time

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.test.utils import override_settings
    from rest_framework_simplejwt.tokens import RefreshToken

    from .report import table

    spent: collections.Counter = collections.Counter()
    children: list[float] = []  # CPU of timed parts inside the part being timed, per level
    patched = []

    def timed(label, function):
        def part(*args, **kwargs):
            children.append(0.0)
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                used = time.process_time() - start
                inner = children.pop()
                spent[label] += used - inner
                if children:
                    children[-1] += used
        return part

    for label, target, _ in PARTS:
        module_name, _, path = target.partition(":")
        owner_name, _, attribute = path.rpartition(".")
        owner = importlib.import_module(module_name)
        for name in owner_name.split(".") if owner_name else []:
            owner = getattr(owner, name)
        original = owner.__dict__[attribute]
        patched.append((owner, attribute, original))
        setattr(owner, attribute, timed(label, original))

    token = str(RefreshToken.for_user(user).access_token)
    content = payload("random", size)
    variants = {"app": (Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1"), "/api/v1/upload/", None),
                "reference": (Client(HTTP_HOST="127.0.0.1"), "/upload/", "bench.reference.urls")}
    per_upload: dict[str, dict[str, float]] = {}
    try:
        for name, (client, path, urlconf) in variants.items():
            with override_settings(**({"ROOT_URLCONF": urlconf} if urlconf else {})):
                for index in range(min(20, uploads)):  # warm up
                    client.post(path, {"file": SimpleUploadedFile(f"warm-{index}.bin", content)})
                spent.clear()
                start = time.process_time()
                for index in range(uploads):
                    response = client.post(path, {"file": SimpleUploadedFile(f"split-{index}.bin", content)})
                    assert response.status_code == 201, response.content[:300]
                total = time.process_time() - start
            per_upload[name] = {label: seconds * 1000 / uploads for label, seconds in spent.items()}
            per_upload[name]["total"] = total * 1000 / uploads
    finally:
        for owner, attribute, original in patched:
            setattr(owner, attribute, original)

    rows = []
    for label, _, whose in PARTS:
        app, reference = per_upload["app"].get(label, 0.0), per_upload["reference"].get(label, 0.0)
        if app or reference:
            rows.append([label, whose, f"{app:.3f}" if app else "–", f"{reference:.3f}" if reference else "–"])
    rest = {name: figures["total"] - sum(v for k, v in figures.items() if k != "total")
            for name, figures in per_upload.items()}
    rows.append(["everything else (middleware, dispatch, the test client)", "both",
                 f"{rest['app']:.3f}", f"{rest['reference']:.3f}"])
    rows.append(["**total**", "", f"**{per_upload['app']['total']:.3f}**",
                 f"**{per_upload['reference']['total']:.3f}**"])
    contract = sum(per_upload["app"].get(label, 0.0) for label, _, whose in PARTS if whose == "contract")
    return "\n".join([
        f"CPU per upload of {size // 1024} KiB by part (ms, `time.process_time`, {uploads} uploads each through "
        "Django's test client in this process, each part exclusive of the parts it calls). *contract*: the "
        "API's required steps, which the reference skips; *both*: work the reference does too.\n",
        table(["part", "whose", "app ms", "reference ms"], rows),
        f"\nThe contract's parts come to {contract:.2f} ms: the reference plus them alone would be "
        f"{per_upload['reference']['total'] + contract:.2f} ms against the app's {per_upload['app']['total']:.2f}, "
        f"a ratio of {per_upload['reference']['total'] / (per_upload['reference']['total'] + contract):.2f} at best "
        "for CPU-bound throughput.",
    ])
