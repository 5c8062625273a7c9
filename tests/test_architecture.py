"""The layout is a map: rooms import one way, no library module imports a command-line module, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("generator", "retarget", "controller", "sim")  # data flows this way only


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text()) for room in ROOMS for p in sorted((ROOT / room).rglob("*.py"))}


MODULES = _modules()


def _imports(name: str, tree: ast.Module) -> set[str]:
    """Project modules that `name` imports anywhere (module level or inside functions)."""
    found: set[str] = set()
    package = name if (ROOT / Path(*name.split(".")) / "__init__.py").exists() else name.rpartition(".")[0]
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for t in targets:
            while t and t not in MODULES:
                t = t.rpartition(".")[0]
            if t and t != name and not name.startswith(t + "."):  # a package's own ancestors are not edges
                found.add(t)
    return found


GRAPH = {name: _imports(name, tree) for name, tree in MODULES.items()}


def _is_cli(name: str, tree: ast.Module) -> bool:
    if name.endswith("__main__"):
        return True
    return any(isinstance(n, ast.If) and "__name__" in ast.unparse(n.test) for n in tree.body)


CLI = {name for name, tree in MODULES.items() if _is_cli(name, tree)}


def test_the_graph_sees_the_project():
    assert len(MODULES) > 100 and "generator.motion.repr272" in MODULES
    assert "generator.motion.repr272" in GRAPH["generator.motion.file"]
    assert {"generator.sample", "generator.motion.__main__", "sim.demo", "controller.train"} <= CLI


def test_no_library_module_imports_a_command_line_module():
    bad = sorted(f"{m} -> {t}" for m in MODULES if m not in CLI for t in GRAPH[m] if t in CLI)
    assert not bad, "library modules importing command-line modules:\n" + "\n".join(bad)


@pytest.mark.parametrize("room", ROOMS)
def test_rooms_import_one_way(room):
    later = ROOMS[ROOMS.index(room) + 1 :]
    bad = sorted(f"{m} -> {t}" for m in GRAPH if m.split(".")[0] == room for t in GRAPH[m] if t.split(".")[0] in later)
    assert not bad, f"{room} imports a later room:\n" + "\n".join(bad)


def test_retarget_reads_only_the_motion_core_of_generator():
    bad = sorted(
        f"{m} -> {t}"
        for m in GRAPH
        if m.startswith("retarget")
        for t in GRAPH[m]
        if t.startswith("generator") and not t.startswith("generator.motion")
    )
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    """Tarjan's strongly connected components over every import, lazy ones included."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


# what each generator sub-package may import of generator (its docstring says the same)
ALLOWED = {
    "motion": set(),
    "procedural": {"motion"},
    "model": {"motion"},
    "data": {"motion", "procedural"},
    "sampling": {"motion", "model", "procedural", "data"},
    "eval": {"motion", "model", "data", "procedural", "sampling"},
    "training": {"motion", "model", "data", "sampling", "eval"},
}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_generator_sub_packages_import_only_what_their_docstring_allows(package):
    prefix = f"generator.{package}"
    bad = []
    for m, targets in GRAPH.items():
        if m != prefix and not m.startswith(prefix + "."):
            continue
        for t in targets:
            parts = t.split(".")
            if parts[0] == "generator" and len(parts) > 1 and parts[1] != package and parts[1] in ALLOWED:
                if parts[1] not in ALLOWED[package]:
                    bad.append(f"{m} -> {t}")
    assert not bad, "\n".join(sorted(bad))
