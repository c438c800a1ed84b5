"""The architecture, enforced on the import graph (every ``import`` in the package, module level or inside
a function): front ends over jobs over building blocks over the base, no cycles between packages, and
neither front end importing the other."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "zoomstudio"

#: layer of each unit (a core sub-package, or a module where a package holds two layers), top first
LAYERS = {
    "__main__": 5, "entry": 4,  # python -m zoomstudio; zoomstudio.entry: routes the zoomstudio command to one front end
    "cli": 3, "gui": 3,  # front ends
    # jobs / pipelines
    "core.train": 2, "core.infer": 2, "core.evaluation": 2, "core.alignment": 2, "core.experiments": 2,
    "core.data.synth": 2, "core.process_job": 2,
    # building blocks
    "core.data": 1, "core.geometry": 1, "core.nets": 1, "core.losses": 1, "core.metrics": 1,
    # base: RAW, colour, file I/O and the small shared kernels
    "core.raw": 0, "core.colour": 0, "core.fileio": 0, "core.native_output": 0, "core.events": 0, "core.device": 0, "core.lazy": 0,
    "core.resources": 0, "core.pypi": 0, "core.backbones": 0, "core": 0, "": 0,
}
FRONT_ENDS = ("cli", "gui")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every zoomstudio module ``path`` imports, as a name relative to the package ("core.raw.decode")."""
    name = _module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                names = [target] + [f"{target}.{a.name}" for a in node.names]
            elif (node.module or "").startswith("zoomstudio"):
                target = node.module[len("zoomstudio") + 1:]
                names = [target] + [f"{target}.{a.name}" for a in node.names]
            else:
                continue
            out.add(names[0])
            out.update(n for n in names[1:] if (PACKAGE / (n.replace(".", "/") + ".py")).exists()
                       or (PACKAGE / n.replace(".", "/")).is_dir())
        elif isinstance(node, ast.Import):
            out.update(a.name[len("zoomstudio") + 1:] for a in node.names if a.name.startswith("zoomstudio."))
    return out


def _unit(module: str) -> str:
    """The most specific key of :data:`LAYERS` that ``module`` falls under."""
    parts = module.split(".")
    for n in range(len(parts), -1, -1):
        key = ".".join(parts[:n])
        if key in LAYERS:
            return key
    return ""


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "core" and len(parts) > 1 else parts[0]


def import_graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def test_every_module_has_a_layer():
    for module in import_graph():
        if module.startswith("core.") or module.split(".")[0] in ("cli", "gui", "entry"):
            assert _unit(module) != "" or module == "core", f"{module} is in no layer of tests/test_architecture.py"


def test_layers_only_import_downwards():
    crossings = []
    for module, targets in import_graph().items():
        for t in targets:
            a, b = _unit(module), _unit(t)
            if LAYERS[b] > LAYERS[a] or (LAYERS[a] == 3 and LAYERS[b] == 3 and a != b):
                crossings.append(f"{module} -> {t}")
    assert crossings == [], "imports against the layering:\n" + "\n".join(sorted(crossings))


def test_no_cycles_between_packages():
    edges = defaultdict(set)
    for module, targets in import_graph().items():
        for t in targets:
            a, b = _package(module), _package(t)
            if a != b and not (a == "core" or b == "core"):
                edges[a].add(b)
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycle.extend(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
                return True
            if state.get(nxt) is None and visit(nxt, path + [nxt]):
                return True
        state[node] = 2
        return False

    for n in sorted(list(edges)):
        if state.get(n) is None and visit(n, [n]):
            break
    assert not cycle, "a cycle between packages: " + " -> ".join(cycle)


@pytest.mark.parametrize("bad, expected", [
    ({"gui.main_window": {"cli.zoom"}}, "gui.main_window -> cli.zoom"),
    ({"core.metrics.protocol": {"core.infer.tiled"}}, "core.metrics.protocol -> core.infer.tiled"),
    ({"core.raw.decode": {"core.data.srraw"}}, "core.raw.decode -> core.data.srraw"),
])
def test_the_layering_check_catches_crossings(bad, expected):
    """The check itself fails on the kinds of crossing issue 11 found."""
    crossings = [f"{m} -> {t}" for m, ts in bad.items() for t in ts
                 if LAYERS[_unit(t)] > LAYERS[_unit(m)] or (LAYERS[_unit(m)] == 3 and _unit(m) != _unit(t)
                                                            and LAYERS[_unit(t)] == 3)]
    assert crossings == [expected]
