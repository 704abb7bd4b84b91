"""The shape of the code: imports run one way, and only the HTTP layer knows DRF.

Read from the source with ``ast``, so function-level imports count as much as
module-level ones.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "api", "users", "files", "events", "webhooks")
# The domain and its workers: no DRF here (views, serializers, parsers, filters and api/ may).
NO_DRF = ("services", "selectors", "processing", "processors", "tasks", "models", "admin", "publishing",
          "enums", "errors", "uploads", "sniffing", "exceptions")
DRF_PACKAGES = ("rest_framework", "drf_spectacular")


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "tests" in parts or "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imported_names(name: str, path: Path) -> set[str]:
    """Every dotted name ``path`` imports, anywhere in the file, relative imports resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: {imported for imported in imported_names(name, path) if imported in modules and imported != name}
            for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_reader_sees_function_level_and_relative_imports(tmp_path):
    module = tmp_path / "processing.py"
    module.write_text("from .models import File\n\ndef f():\n    from . import services\n    import core.celery\n")
    assert imported_names("files.processing", module) >= {"files.models", "files.services", "core.celery"}


def test_no_import_cycle_among_the_projects_modules():
    graph = import_graph()
    assert "files.publishing" in graph["files.services"]  # the reader does see the project's imports
    assert cycles(graph) == []


def test_the_domain_and_the_workers_do_not_import_drf():
    offenders = []
    for name, path in project_modules().items():
        if not set(name.split(".")) & set(NO_DRF):
            continue
        for imported in imported_names(name, path):
            if imported.split(".")[0] in DRF_PACKAGES:
                offenders.append(f"{name} imports {imported}")
    assert offenders == []
