"""The layout's rules, checked on the source: every import statement of the project (lazy ones
inside functions included) is parsed, and the test fails on any import circle, on a wing that
imports another it must not, and on the app or batch reaching the training wing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpers import ROOT

WINGS = ("io", "inference", "temporal", "draw", "training")
INDEPENDENT = ("inference", "temporal", "draw")  # none of these imports another
COMMANDS = {"emotion.commands.train", "emotion.commands.train_members", "emotion.commands.evaluate", "emotion.commands.export", "emotion.commands.ensemble"}  # may import training/


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for the project's own code (emotion/, batch/, app.py)."""
    found = {"app": root / "app.py"}
    for package in ("emotion", "batch"):
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(files: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules its import statements name (at any depth in the file)."""
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            else:
                continue
            edges |= {t for t in targets if t in files and t != name}
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def wing(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "emotion" and parts[1] in WINGS else None


def forbidden_edges(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for source, targets in graph.items():
        for target in targets:
            a, b = wing(source), wing(target)
            if a in INDEPENDENT and b in INDEPENDENT and a != b:
                bad.append(f"{source} -> {target} ({a}/ must not import {b}/)")
            if a == "io" and b not in (None, "io"):
                bad.append(f"{source} -> {target} (io/ imports no other wing)")
            if b == "training" and a != "training" and source not in COMMANDS:
                bad.append(f"{source} -> {target} (only training/ and the training commands import training/)")
    return bad


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Everything importing `start` runs, parent packages' __init__ included."""
    seen, todo = set(), [start]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        parents = [".".join(m.split(".")[:i]) for i in range(1, len(m.split(".")))]
        todo += [p for p in parents if p in graph] + sorted(graph.get(m, ()))
    return seen


@pytest.fixture(scope="module")
def graph():
    return import_graph(module_files(ROOT))


def test_no_import_circle_anywhere(graph):
    assert cycles(graph) == []


def test_wings_import_only_in_the_allowed_directions(graph):
    assert forbidden_edges(graph) == []


def test_app_and_batch_never_reach_the_training_wing(graph):
    for start in ["app"] + [m for m in graph if m.startswith("batch")]:
        assert not [m for m in reachable(graph, start) if wing(m) == "training"], start


def test_top_level_is_the_public_surface_over_the_wings():
    package = ROOT / "emotion"
    modules = [p.name for p in package.glob("*.py")]
    wings = [p.name for p in package.iterdir() if (p / "__init__.py").exists()]
    assert len(modules) <= 12, modules
    assert set(WINGS) <= set(wings) and len(wings) >= 4


def test_the_checker_sees_lazy_circles_and_wrong_directions(tmp_path):
    """The checks above would fail on a real violation: a circle closed by an import inside a
    function, and the temporal wing importing the inference wing."""
    for rel, text in {
        "app.py": "",
        "batch/__init__.py": "",
        "emotion/__init__.py": "",
        "emotion/temporal/__init__.py": "",
        "emotion/inference/__init__.py": "",
        "emotion/temporal/a.py": "from . import b\n",
        "emotion/temporal/b.py": "def f():\n    from .a import g\n",
        "emotion/temporal/c.py": "from ..inference import d\n",
        "emotion/inference/d.py": "",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    fake = import_graph(module_files(tmp_path))
    assert cycles(fake) == [["emotion.temporal.a", "emotion.temporal.b"]]
    assert forbidden_edges(fake) == ["emotion.temporal.c -> emotion.inference.d (temporal/ must not import inference/)"]


FRAME_INTERNALS = {"lane", "detect_whole", "stream_detector", "between", "FramePipeline"}


def test_front_ends_use_the_frame_loop_not_the_analyzers_internals():
    """batch/, the live session and the app go through emotion.inference.frames (analyze_frames,
    FrameStream); the lanes, the whole-frame detection and the interpolation stay inside it."""
    files = [*(ROOT / "batch").glob("*.py"), ROOT / "emotion" / "live.py", ROOT / "app.py"]
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert not names & FRAME_INTERNALS, (path.name, sorted(names & FRAME_INTERNALS))
