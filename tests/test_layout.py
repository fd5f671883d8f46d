"""The code's shape: imports go one way (views -> forms and services -> models), no module
imports another that imports it back, and no module grows past what a reader takes in."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "meetup"
MAX_LINES = 720  # "no module much over 700 lines" (docs/code-layout.md)
LAYERS = {  # a module under the key may not import one under any of the values
    "meetup.services": ("meetup.views", "meetup.forms", "meetup.worker", "meetup.cli"),
    "meetup.forms": ("meetup.views", "meetup.worker", "meetup.cli"),
    "meetup.models": ("meetup.views", "meetup.forms", "meetup.services", "meetup.worker"),
    "meetup.worker": ("meetup.views", "meetup.forms", "meetup.cli"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The meetup modules `name` imports (at the top or inside a function)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    tree = ast.parse(path.read_text())
    for block in ast.walk(tree):  # imports for type checkers only are not imports at run time
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test):
            block.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:  # `from package import module` names a module
                sub = f"{source}.{alias.name}"
                out.add(sub if sub in MODULES else source)
    return {target for target in out if target in MODULES and target != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            # A package's __init__ importing its own submodules is how a package is made.
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(GRAPH):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_no_import_circles():
    assert _cycle() is None, " -> ".join(_cycle() or [])


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_imports_only_go_down(layer):
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name == layer or name.startswith(layer + ".")
        for target in targets
        if any(target == up or target.startswith(up + ".") for up in LAYERS[layer])
    )
    assert wrong == []


def test_no_module_much_over_700_lines():
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_checks_see_a_circle_and_an_upward_import():
    """The checks can fail: the graph they read holds what a circle would be made of."""
    assert "meetup.services.events.editing" in GRAPH["meetup.views.events.events"]
    GRAPH["meetup.models"].add("meetup.views.home")
    GRAPH["meetup.views.home"].add("meetup.models")
    try:
        assert _cycle() is not None
    finally:
        GRAPH["meetup.models"].discard("meetup.views.home")
