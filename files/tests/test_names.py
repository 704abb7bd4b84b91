import pytest

from files.names import safe_display_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("tab\tand\nnewline.txt", "tab and newline.txt"),
        ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ("/abs/path/x.png", "x.png"),
        ("\u202eevil\u200b.txt", "evil.txt"),
        (".hidden", "hidden"),
        ("", "file"),
        (None, "file"),
        ("LPT1.log", "_LPT1.log"),
        ("e\u0301cole.txt", "\u00e9cole.txt"),
        ("x" * 300, "x" * 255),
        ("y" * 300 + ".verylongextension1234", "y" * 255),
    ],
)
def test_safe_display_name(raw, expected):
    assert safe_display_name(raw) == expected
