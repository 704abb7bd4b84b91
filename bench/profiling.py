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
