"""The library's shape, checked mechanically (docs/architecture.md).

* imports run down the layers and form no circle;
* no module imports another module's private (``_``) names, tests included;
* every declared dependency is imported, every third-party import is declared;
* every public solver takes ``throw``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "jaxtrade"


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources(*roots: pathlib.Path) -> dict[str, tuple[pathlib.Path, ast.Module]]:
    out = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            out[_module_name(path)] = (path, ast.parse(path.read_text(), filename=str(path)))
    return out


LIBRARY = _sources(PACKAGE)
TESTS = _sources(ROOT / "tests")


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: pathlib.Path, tree: ast.Module):
    """(imported module, imported name or None, line) for every import in the file."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node, is_package)
            for alias in node.names:
                yield target, alias.name, node.lineno


def _internal_target(target: str, name: str | None, known: set[str]) -> str | None:
    """The jaxtrade module an import refers to (a submodule when ``name`` is one)."""
    if not target.startswith("jaxtrade"):
        return None
    if name is not None and f"{target}.{name}" in known:
        return f"{target}.{name}"
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def _graph() -> dict[str, set[str]]:
    known = set(LIBRARY)
    graph: dict[str, set[str]] = {m: set() for m in known}
    for module, (path, tree) in LIBRARY.items():
        for target, name, _ in _imports(module, path, tree):
            dest = _internal_target(target, name, known)
            if dest and dest != module and not module.startswith(dest + "."):
                graph[module].add(dest)
    return graph


def test_no_import_circles():
    graph = _graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


# (importer prefix, forbidden imported prefixes)
LAYERS = [
    ("jaxtrade.numerics", ("jaxtrade.models", "jaxtrade.empirics", "jaxtrade.replication", "jaxtrade.cli",
                           "jaxtrade.reporting", "jaxtrade.datasets", "jaxtrade.estimation")),
    ("jaxtrade.estimation", ("jaxtrade.models", "jaxtrade.empirics", "jaxtrade.replication", "jaxtrade.cli",
                             "jaxtrade.reporting", "jaxtrade.datasets")),
    ("jaxtrade.models", ("jaxtrade.empirics", "jaxtrade.replication", "jaxtrade.cli", "jaxtrade.reporting",
                         "jaxtrade.datasets")),
    ("jaxtrade.empirics", ("jaxtrade.models", "jaxtrade.replication", "jaxtrade.cli", "jaxtrade.datasets")),
    ("jaxtrade.reporting", ("jaxtrade.models", "jaxtrade.empirics", "jaxtrade.replication", "jaxtrade.cli")),
    ("jaxtrade.progress", ("jaxtrade.models", "jaxtrade.empirics", "jaxtrade.replication", "jaxtrade.cli")),
    ("jaxtrade.timing", ("jaxtrade.models", "jaxtrade.empirics", "jaxtrade.replication", "jaxtrade.cli",
                         "jaxtrade.reporting", "jaxtrade.numerics", "jaxtrade.estimation")),
    ("jaxtrade.program_cache", ("jaxtrade.models", "jaxtrade.empirics", "jaxtrade.replication", "jaxtrade.cli",
                                "jaxtrade.reporting", "jaxtrade.numerics", "jaxtrade.estimation", "jaxtrade.datasets")),
    ("jaxtrade.datasets", ("jaxtrade.replication", "jaxtrade.cli")),
    ("jaxtrade.replication", ("jaxtrade.cli",)),
]  # fmt: skip


def test_imports_run_down_the_layers():
    bad = []
    for module, targets in _graph().items():
        for prefix, forbidden in LAYERS:
            if module == prefix or module.startswith(prefix + "."):
                bad += [f"{module} -> {t}" for t in targets if any(t == f or t.startswith(f + ".") for f in forbidden)]
    models = [m for m in LIBRARY if m.count(".") >= 2 and m.startswith("jaxtrade.models.")]
    for module in models:
        own = ".".join(module.split(".")[:3])
        for t in _graph()[module]:
            if (
                t.startswith("jaxtrade.models.")
                and t.count(".") >= 2
                and not t.startswith(own)
                and t != "jaxtrade.models.base"
            ):
                bad.append(f"{module} -> {t} (models never import each other)")
    papers = [m for m in LIBRARY if m.startswith("jaxtrade.replication.") and m.count(".") >= 2]
    for module in papers:
        own = ".".join(module.split(".")[:3])
        for t in _graph()[module]:
            if t.startswith("jaxtrade.replication.") and not t.startswith(own):
                bad.append(f"{module} -> {t} (papers never import each other)")
    assert not bad, "imports against the layers:\n" + "\n".join(sorted(set(bad)))


@pytest.mark.parametrize("sources", [LIBRARY, TESTS], ids=["library", "tests"])
def test_no_private_names_imported_across_modules(sources):
    bad = []
    for module, (path, tree) in sources.items():
        for target, name, line in _imports(module, path, tree):
            if not target.startswith(("jaxtrade", "tests")):
                continue
            parts = target.split(".") + ([name] if name else [])
            if any(p.startswith("_") and not p.startswith("__") for p in parts[1:]):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {target}{'.' + name if name else ''}")
    assert not bad, "private names imported across modules:\n" + "\n".join(bad)


# distribution name -> import name, where they differ; jaxlib is jax's runtime (never imported directly)
IMPORT_NAMES = {"pyarrow": "pyarrow", "jaxlib": "jax"}


def _declared() -> list[str]:
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M).group(1)
    return [re.split(r"[<>=!~\[ ;]", d.strip().strip('",'), maxsplit=1)[0] for d in re.findall(r'"[^"]+"', block)]


def _third_party_imports() -> set[str]:
    stdlib = set(sys.stdlib_module_names)
    found = set()
    for module, (path, tree) in LIBRARY.items():
        for target, _, _ in _imports(module, path, tree):
            top = target.split(".")[0]
            if top and top != "jaxtrade" and top not in stdlib:
                found.add(top)
    return found


def test_declared_dependencies_are_used_and_imports_declared():
    declared = _declared()
    used = _third_party_imports()
    unused = [d for d in declared if IMPORT_NAMES.get(d, d) not in used]
    undeclared = sorted(used - {IMPORT_NAMES.get(d, d) for d in declared})
    assert not unused, f"declared in pyproject.toml but never imported by jaxtrade: {unused}"
    assert not undeclared, f"imported by jaxtrade but not declared in pyproject.toml: {undeclared}"


SOLVER_PACKAGES = ["jaxtrade.numerics", "jaxtrade.models.vertical", "jaxtrade.models.multiproduct",
                   "jaxtrade.models.sunk_cost", "jaxtrade.empirics.fixest", "jaxtrade.estimation"]  # fmt: skip
# public names that solve something but do not start with "solve"
OTHER_SOLVERS = {"newton_root", "fixed_point", "value_iteration", "stationary_distribution",
                 "stationary_distribution_markov", "steady_state", "period_equilibrium", "stationary_mass",
                 "partial_trade_elasticities", "tariff_removal", "table3", "time_series_experiment",
                 "output_moments", "feols", "fepois", "demean", "demean_sharded", "estimate", "calibrate",
                 "levenberg_marquardt", "adam_lbfgs", "fit_product_bounds"}  # fmt: skip
# direct (non-iterative) computations named solve_*: nothing to converge
NOT_ITERATIVE = {"solve_small"}


@pytest.mark.parametrize("package", SOLVER_PACKAGES)
def test_every_public_solver_accepts_throw(package):
    mod = importlib.import_module(package)
    names = [n for n in mod.__all__ if (n.startswith("solve") or n in OTHER_SOLVERS) and n not in NOT_ITERATIVE]
    assert names, f"{package} exports no solver"
    missing = [
        n for n in names if callable(getattr(mod, n)) and "throw" not in inspect.signature(getattr(mod, n)).parameters
    ]
    assert not missing, f"{package}: public solvers without a throw keyword: {missing}"
