"""The shape of the code, read from its imports and definitions (ast), never by running it.

Dependencies point one way (pulse core ← ai ← etl ← hub and the agents app); provider adapters and
source clients take plain config and touch no model; no module imports another that imports it
back, lazy imports inside functions included; modules stay under 400 lines and functions under 60.
"""

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pulse", "ai", "etl", "hub", "analytics", "bench", "tests")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


@cache
def modules() -> dict[str, Path]:
    """Every project module (migrations aside) by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or ".venv" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _absolute(node: ast.ImportFrom, module: str, path: Path) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


@cache
def imports(module: str) -> frozenset[str]:
    """Project modules that `module` imports anywhere in its body (top level or inside functions)."""
    path = modules()[module]
    known = modules()
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, path)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                out.add(submodule if submodule in known else base)
    return frozenset(name for name in out if name in known or name.split(".")[0] in PACKAGES)


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _violations(source_package: str, forbidden) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module in modules()
        if _in(module, source_package)
        for target in imports(module)
        if forbidden(target)
    )


def test_provider_adapters_import_nothing_of_ai_outside_their_wing_and_no_model():
    assert (
        _violations(
            "ai.providers",
            lambda t: (
                (_in(t, "ai") and not _in(t, "ai.providers")) or t.endswith(".models") or t.startswith("django.db")
            ),
        )
        == []
    )


def test_source_clients_import_no_model():
    assert _violations("etl.clients", lambda t: t.endswith(".models") or t.startswith("django.db")) == []


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("ai", ("etl", "hub", "analytics")),
        ("etl", ("hub", "analytics")),
        ("pulse", ("ai", "etl", "hub", "analytics")),
    ],
)
def test_dependencies_point_one_way(package, forbidden):
    assert _violations(package, lambda t: any(_in(t, f) for f in forbidden)) == []


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
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

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_lazy_imports_included():
    graph = {m: sorted(t for t in imports(m) if t in modules() and t != m) for m in modules()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_cycles_and_passes_a_chain():
    # The rule above must be able to fail.
    assert _cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert _cycles({"a": ["b"], "b": ["c"], "c": []}) == []


def test_modules_stay_small_and_functions_short():
    too_big, too_long = [], []
    for module, path in modules().items():
        source = path.read_text()
        if source.count("\n") > MAX_MODULE_LINES:
            too_big.append(f"{module}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{module}.{node.name}: {length} lines")
    assert (too_big, too_long) == ([], [])


def test_ai_has_wings_and_no_loose_root_modules():
    allowed = {"ai.apps", "ai.admin", "ai.models", "ai.tasks"}
    root_modules = {m for m, path in modules().items() if path.parent == ROOT / "ai" and path.name != "__init__.py"}
    assert root_modules - allowed == set()
    for wing in ("providers", "execution", "vectors", "setup"):
        docstring = ast.get_docstring(ast.parse((ROOT / "ai" / wing / "__init__.py").read_text()))
        assert docstring and "import" in docstring, f"ai/{wing}/__init__.py: what lives there, what it imports"
