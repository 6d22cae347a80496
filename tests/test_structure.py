"""The package's shape: imports run one way, private modules stay private, functions stay short.

Read from the source with `ast`, nothing imported: an import cycle between bayesmi's modules,
an import of another subpackage's underscore module (or underscore name), a function longer
than 80 lines (docstring excluded), and the package's public API leaking helpers all fail.
"""

import ast
from pathlib import Path

import pytest

import bayesmi as bm

PACKAGE = Path(bm.__file__).parent
MAX_FUNCTION_LINES = 80


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def package_of(module: str) -> str:
    """The (sub)package a module belongs to: ``bayesmi.models`` for ``bayesmi.models.mixed``."""
    path = MODULES[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def imports(module: str) -> list[tuple[str, list[str]]]:
    """The bayesmi modules `module` imports, with the names it takes from each."""
    tree = ast.parse(MODULES[module].read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names if alias.name.startswith("bayesmi")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not node.module.startswith("bayesmi"):
                continue
            names = [alias.name for alias in node.names]
            submodules = [f"{node.module}.{name}" for name in names]
            modules = [name for name in submodules if name in MODULES]
            found += [(name, []) for name in modules] or [(node.module, names)]
    return found


def edges(module: str) -> set[str]:
    """What importing `module` executes: each module imported and its packages' __init__."""
    targets = set()
    for imported, _ in imports(module):
        targets.add(imported)
        parent = imported.rpartition(".")[0]
        while parent and parent != "bayesmi":
            if not module.startswith(parent + ".") and module != parent:
                targets.add(parent)  # importing a submodule runs its package's __init__ first
            parent = parent.rpartition(".")[0]
    return {target for target in targets if target in MODULES and target != module}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle():
    graph = {module: edges(module) for module in MODULES if module != "bayesmi.__main__"}
    graph = {module: targets - {"bayesmi"} for module, targets in graph.items()}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_of_another_subpackage_private_module_or_name():
    offences = []
    for module in MODULES:
        for imported, names in imports(module):
            if package_of(imported) == package_of(module):
                continue
            private = [part for part in imported.split(".") if part.startswith("_")]
            if private and not imported.endswith("__main__"):
                offences.append(f"{module} imports {imported}")
            offences += [f"{module} imports {imported}.{n}" for n in names if n.startswith("_")]
    assert not offences, offences


def function_lengths(path: Path) -> list[tuple[str, int]]:
    """Lines of every top-level function and method, docstring excluded (nested ones counted)."""
    tree = ast.parse(path.read_text())
    lengths = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = node.end_lineno - node.lineno + 1
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    lines -= body[0].end_lineno - body[0].lineno + 1
            lengths.append((f"{path.relative_to(PACKAGE)}:{node.name}", lines))
    return lengths


def test_no_function_over_80_lines():
    long = [
        (name, lines)
        for path in MODULES.values()
        for name, lines in function_lengths(path)
        if lines > MAX_FUNCTION_LINES
    ]
    assert not long, long


def test_the_length_count_skips_the_docstring(tmp_path):
    path = PACKAGE / "messages.py"
    (name, lines), *_ = function_lengths(path)
    assert name == "messages.py:show"
    assert lines == 6  # the signature and five lines of body


@pytest.mark.parametrize("name", bm.__all__)
def test_public_names_exist_and_are_documented(name):
    value = getattr(bm, name)
    if name != "__version__":
        assert value.__doc__, f"bm.{name} has no docstring"


WINDOW = 6


def code_lines(path: Path) -> list[tuple[int, str]]:
    """The file's lines of code, stripped: no docstrings, comments, blank or import lines.

    Nor a function's header (its parameters): constructors of kinds with the same options
    declare the same parameters, which is one interface, not repeated logic.
    """
    source = path.read_text()
    tree = ast.parse(source)
    skipped = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                skipped.update(range(body[0].lineno, body[0].end_lineno + 1))
        if isinstance(node, ast.Import | ast.ImportFrom):
            skipped.update(range(node.lineno, node.end_lineno + 1))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):  # its parameter list
            skipped.update(range(node.lineno, node.body[0].lineno))
    lines = []
    for number, line in enumerate(source.splitlines(), start=1):
        text = line.split("#")[0].strip() if not line.strip().startswith("#") else ""
        if number not in skipped and text:
            lines.append((number, text))
    return lines


def repeated_blocks(paths) -> list[str]:
    """Runs of WINDOW code lines that stand twice, word for word (trivial runs aside)."""
    seen: dict[tuple[str, ...], str] = {}
    repeats = []
    for path in paths:
        lines = code_lines(path)
        for start in range(len(lines) - WINDOW + 1):
            window = tuple(text for _, text in lines[start : start + WINDOW])
            if sum(len(text) > 12 for text in window) < WINDOW - 1:
                continue  # mostly brackets and short keywords
            place = f"{path.relative_to(PACKAGE)}:{lines[start][0]}"
            if window in seen and seen[window].split(":")[0] != place.split(":")[0]:
                repeats.append(f"{seen[window]} ~ {place}")
            elif window in seen and int(seen[window].split(":")[1]) + WINDOW <= lines[start][0]:
                repeats.append(f"{seen[window]} ~ {place}")
            seen.setdefault(window, place)
    return repeats


def test_no_block_of_code_is_repeated():
    assert not repeated_blocks(MODULES.values()), repeated_blocks(MODULES.values())


def test_the_repeat_finder_finds_repeats(tmp_path):
    block = "\n".join(f"value_number_{k} = compute_something({k})" for k in range(6))
    one, two = tmp_path / "one.py", tmp_path / "two.py"
    one.write_text(f'"""One."""\n{block}\n')
    two.write_text(f'"""Two."""\n\n{block}\n')
    global PACKAGE
    package, PACKAGE = PACKAGE, tmp_path
    try:
        assert repeated_blocks([one, two]) == ["one.py:2 ~ two.py:3"]
        header = "(\n" + "".join(f"    option_{k}: int = {k},\n" for k in range(6)) + ") -> int:"
        one.write_text(f'"""One."""\ndef first{header}\n    return option_0 + 1\n')
        two.write_text(f'"""Two."""\ndef second{header}\n    return option_5 * 2\n')
        assert repeated_blocks([one, two]) == []  # one interface: not a repeat
        body = "".join(f"    value_number_{k} = compute_something({k})\n" for k in range(6))
        two.write_text(f'"""Two."""\ndef second{header}\n{body}')
        one.write_text(f'"""One."""\ndef first{header}\n{body}')
        assert repeated_blocks([one, two]) == ["one.py:10 ~ two.py:10"]
    finally:
        PACKAGE = package
