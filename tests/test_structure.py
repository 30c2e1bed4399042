"""The package's shape, checked (issue 24 items 3 and 4).

- no import cycle between toolkit modules, counting imports inside functions (they hid three);
- no private name (``_x``) imported from another toolkit module;
- command modules (``toolkit/cli/*.py``) are thin: at most ``CLI_LINES`` lines;
- no function longer than ``FUNCTION_LINES`` lines;
- ``import toolkit`` installs no signal handler and starts nothing.

Each rule has a ``PENDING`` allowance for what is not converted yet. A test fails when an allowed
item no longer breaks the rule, so the allowances only shrink.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PKG = ROOT / "toolkit"

#: "about 80 lines" (issue 24): functions are counted without their docstrings
FUNCTION_LINES = 80
CLI_LINES = 85

PENDING_CYCLES: set[frozenset[str]] = set()
PENDING_PRIVATE: set[tuple[str, str]] = set()
PENDING_CLI: set[str] = set()
PENDING_FUNCTIONS: set[str] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(p): p
    for p in sorted(PKG.rglob("*.py"))
    if "papers" not in p.relative_to(PKG).parts[:1]
}


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    is_pkg = MODULES[module].name == "__init__.py"
    base = module.split(".")
    base = base if is_pkg else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str) -> list[tuple[str, str | None]]:
    """(imported module, imported name or None) for every import anywhere in ``module``."""
    tree = ast.parse(MODULES[module].read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            for a in node.names:
                sub = f"{target}.{a.name}"
                out.append((sub, None) if sub in MODULES else (target, a.name))
    return [(m, n) for m, n in out if m.split(".")[0] == "toolkit"]


#: upward imports made on purpose, inside a function, each with its reason
LATE_BINDINGS = {
    # ResultMixin.plot(ax=) hands every result to its drawing function in the report stage:
    # results name the function, the last stage draws (one home for figures)
    ("toolkit.results", "toolkit.report.plots"),
}


def _graph() -> dict[str, set[str]]:
    graph = {}
    for m in MODULES:
        deps = set()
        for target, _ in _imports(m):
            # importing a package runs its __init__; a submodule import runs the package's too
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != m and (m, target) not in LATE_BINDINGS:
                deps.add(target)
        graph[m] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    sys.setrecursionlimit(10_000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def _is_init_reexport(module: str, target: str) -> bool:
    # a package __init__ importing its own submodules' names is how a package is assembled
    return MODULES[module].name == "__init__.py" and target.startswith(module + ".")


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [frozenset({"a", "b", "c"})]


def test_no_import_cycles():
    graph = {
        m: {d for d in deps if not _is_init_reexport(m, d) and not _is_init_reexport(d, m)}
        for m, deps in _graph().items()
    }
    # packages' __init__ files re-export their submodules, which makes every package a cycle
    # with its own members; those edges are left out above
    cycles = set(_cycles(graph))
    assert not (PENDING_CYCLES - cycles), "a pending cycle is gone: remove it from the list"
    assert cycles <= PENDING_CYCLES, (
        f"new import cycles: {[sorted(c) for c in cycles - PENDING_CYCLES]}"
    )


def test_no_private_names_across_modules():
    found = set()
    for m in MODULES:
        for target, name in _imports(m):
            if name and name.startswith("_") and not name.startswith("__") and target != m:
                found.add((m, name))
    assert not (PENDING_PRIVATE - found), "a pending private import is gone: remove it"
    assert found <= PENDING_PRIVATE, (
        f"private names imported across modules: {sorted(found - PENDING_PRIVATE)}"
    )


def test_commands_are_thin():
    long = {
        p.name
        for p in (PKG / "cli").glob("*.py")
        if p.name not in {"__init__.py", "__main__.py", "_common.py"}
        and len(p.read_text().splitlines()) > CLI_LINES
    }
    assert not (PENDING_CLI - long), "a pending command module is now thin: remove it"
    assert long <= PENDING_CLI, (
        f"command modules over {CLI_LINES} lines: {sorted(long - PENDING_CLI)}"
    )


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function without its docstring (a numpydoc Parameters section is no step to
    name): from the signature to the end, less the docstring's lines."""
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        if isinstance(first.value.value, str):
            lines -= first.end_lineno - first.lineno + 1
    return lines


def test_code_lines_leave_out_the_docstring():
    fn = ast.parse('def f(x):\n    """Doc.\n\n    More.\n    """\n    return x\n').body[0]
    assert _code_lines(fn) == 2


def test_no_long_functions():
    long = set()
    for m, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if _code_lines(node) > FUNCTION_LINES:
                    long.add(f"{m}.{node.name}")
    assert not (PENDING_FUNCTIONS - long), "a pending long function is now short: remove it"
    assert long <= PENDING_FUNCTIONS, (
        f"functions over {FUNCTION_LINES} lines: {sorted(long - PENDING_FUNCTIONS)}"
    )


@pytest.mark.parametrize("module", ["toolkit", "toolkit.cli"])
def test_import_has_no_side_effects(module):
    code = (
        "import signal, threading; before = signal.getsignal(signal.SIGINT); "
        f"import {module}; "
        "assert signal.getsignal(signal.SIGINT) is before, 'SIGINT handler changed'; "
        "assert threading.active_count() == 1, 'a thread was started'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_no_solver_stops_on_wall_time():
    """Same seed, same bytes on any machine: a solver bounded by seconds (HiGHS' time_limit)
    returns whatever it has when the time is up, which depends on the machine's load; bounds
    are node or iteration limits instead."""
    offenders = [
        f"{path.relative_to(ROOT)}:{i}"
        for path in sorted(PKG.rglob("*.py"))
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if "time_limit" in line and not line.lstrip().startswith("#")
    ]
    assert offenders == []
