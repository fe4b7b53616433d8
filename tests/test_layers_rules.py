"""The package's layer rules, read from the source (ast): who may import whom.

Layers, lowest first (a module may import its own layer and the layers below)::

    base      capacity, errors, progress, plotting, io.schema, io.jsonfile, io.atomic
    data      data, config, geo, network
    demand    demography, demand
    scenario  scenario, scenario_rules, scenario_checks (a scenario holds each stage's parameters)
    optimize  optimize
    pipeline  pipeline, results
    outputs   report, compare, compare_plots, verify, ensemble, io (run folders), importer, rollover, sweep
    commands  commands, cli, testing

Also: no import cycles between modules (imports inside functions count), no
``_private`` name imported from another package, no module over 600 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "capacity"
MAX_LINES = 600

LAYERS = [
    ("base", ["capacity", "capacity.errors", "capacity.progress", "capacity.plotting", "capacity.io.schema",
              "capacity.io.jsonfile", "capacity.io.atomic"]),
    ("data", ["capacity.data", "capacity.config", "capacity.geo", "capacity.network"]),
    ("demand", ["capacity.demography", "capacity.demand"]),
    ("scenario", ["capacity.scenario", "capacity.scenario_rules", "capacity.scenario_checks",
                  "capacity.scenario_conversions", "capacity.scenario_objective"]),
    ("optimize", ["capacity.optimize"]),
    ("pipeline", ["capacity.pipeline", "capacity.results", "capacity.plan_conversions"]),
    ("outputs", ["capacity.report", "capacity.compare", "capacity.compare_plots", "capacity.verify",
                 "capacity.verify_special", "capacity.verify_conversions",
                 "capacity.ensemble", "capacity.io", "capacity.importer", "capacity.rollover",
                 "capacity.sweep"]),
    ("commands", ["capacity.commands", "capacity.cli", "capacity.testing"]),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def layer_of(module: str):
    """(index, name) of the most specific prefix in :data:`LAYERS` that names ``module``; None if none."""
    best = None
    for i, (name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if prefix != "capacity" or module == "capacity":
                    if best is None or len(prefix) > best[2]:
                        best = (i, name, len(prefix))
    return None if best is None else best[:2]


def package_of(module: str) -> str:
    """``capacity.report`` for ``capacity.report.maps``; a top-level module is its own package."""
    parts = module.split(".")
    if len(parts) >= 2 and (ROOT / parts[1]).is_dir():
        return ".".join(parts[:2])
    return module


def resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_pkg = MODULES[importer].name == "__init__.py"
    base = importer.split(".") if is_pkg else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str):
    """``(imported module, names, line)`` for every import in ``module`` (function-level ones too)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.split(".")[0] == "capacity"]
        elif isinstance(node, ast.ImportFrom):
            target = resolve(module, node)
            if target.split(".")[0] != "capacity":
                continue
            names = [a.name for a in node.names]
            # `from capacity.report import maps` imports the module capacity.report.maps
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            out += [(s, [], node.lineno) for s in subs]
            rest = [n for n in names if f"{target}.{n}" not in MODULES]
            if rest or not subs:
                out.append((target, rest, node.lineno))
    return out


def known(target: str) -> str:
    """The module ``target`` names (a module, or the package holding an attribute)."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target


def test_every_module_has_a_layer():
    missing = [m for m in MODULES if layer_of(m) is None]
    assert not missing, f"add these modules to a layer in {__file__}: {missing}"


def test_layers_hold():
    broken = []
    for module in MODULES:
        own = layer_of(module)
        for target, _, line in imports(module):
            target = known(target)
            other = layer_of(target) if target else None
            if own is not None and other is not None and other[0] > own[0]:
                broken.append(f"{module}:{line} ({own[1]}) imports {target} ({other[1]})")
    assert not broken, "a lower layer imports a higher one:\n" + "\n".join(broken)


def test_no_import_cycles():
    graph = {m: sorted({known(t) for t, _, _ in imports(m)} - {m, ""}) for m in MODULES}
    # a package's __init__ importing its own submodules is how packages are made, not a cycle
    for m in graph:
        graph[m] = [t for t in graph[m] if not t.startswith(m + ".")]
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, "modules that import each other (directly or round a loop): " + "; ".join(
        " ↔ ".join(c) for c in cycles)


def test_no_private_names_across_packages():
    broken = []
    for module in MODULES:
        for target, names, line in imports(module):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and package_of(known(target) or target) != package_of(module):
                broken.append(f"{module}:{line} imports {private} from {target}")
    assert not broken, "private names imported from another package:\n" + "\n".join(broken)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_small(module):
    n = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{MODULES[module]} has {n} lines (at most {MAX_LINES}); split it"


def test_the_rules_catch_what_they_should():
    """Control: the parser sees function-level, relative and `from package import module` imports."""
    found = {t for t, _, _ in imports("capacity.optimize")}
    assert "capacity.optimize.model" in found  # `from .model import ...`
    pipeline = {t for t, _, _ in imports("capacity.pipeline")}
    assert "capacity.optimize.translate" in pipeline  # imported inside plan()
    assert layer_of("capacity.report.maps")[1] == "outputs" and layer_of("capacity.io.run")[1] == "outputs"
    assert layer_of("capacity.io.schema") == (0, "base") and layer_of("capacity") == (0, "base")
    assert layer_of("capacity.testing.sample")[1] == "commands"
    assert package_of("capacity.report.maps") == "capacity.report" and package_of("capacity.verify") == "capacity.verify"
