"""Turning a client's file name into a safe display name."""

import re
import unicodedata

MAX_NAME_LENGTH = 255
FALLBACK_NAME = "file"
# Windows device names: harmless here, but a trap for whoever saves the download.
RESERVED_STEMS = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                            *(f"lpt{i}" for i in range(1, 10))})


def safe_display_name(raw: str | None) -> str:
    """The client's name reduced to a safe basename.

    No directories (either slash), no control or format characters (which
    covers NUL and the bidi overrides), no leading dots, at most 255
    characters with the extension kept. Never used as a storage path.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(" " if ch.isspace() else ch for ch in name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return FALLBACK_NAME
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if stem.lower() in RESERVED_STEMS or (not stem and extension.lower() in RESERVED_STEMS):
        name = f"_{name}"
    if len(name) > MAX_NAME_LENGTH:
        extension = f".{extension[:16]}" if dot and len(extension) <= 16 else ""
        name = name[: MAX_NAME_LENGTH - len(extension)].rstrip(" .") + extension
    return name
