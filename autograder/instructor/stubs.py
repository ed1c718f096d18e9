"""Turn reference modules into student stubs (and back into clean reference code).

In `solutions/*.py` the student's part of a function sits between a line `### BEGIN SOLUTION`
and a line `### END SOLUTION` (nbgrader's markers). The stub keeps everything else — the
signature, the docstring with shapes, the given setup and `return` lines — and replaces each
region with

    # YOUR CODE HERE
    raise NotImplementedError("Implement svm_loss_naive in lib/linear_svm.py")

naming the function or method (Class.method) that encloses the region.
"""
import ast
import re
from pathlib import Path

from ..markers import BEGIN_SOLUTION, END_SOLUTION, MarkerError, regions


def _enclosing_names(tree):
    """[(first_line, last_line, qualified name)] of top-level functions and class methods (1-based).

    Nested functions (e.g. a `_backward` closure) belong to the function or method around them,
    which is what the student is told to implement.
    """
    spans = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            spans.append((node.lineno, node.end_lineno, node.name))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    spans.append((item.lineno, item.end_lineno, f"{node.name}.{item.name}"))
    return spans


def make_stub(source, module):
    """The student version of reference `source` for lib/<module>.py."""
    lines = source.splitlines(keepends=True)
    filename = f"solutions/{module}.py"
    spans = _enclosing_names(ast.parse(source, filename))
    out, cursor = [], 0
    for first, last in regions(lines, BEGIN_SOLUTION, END_SOLUTION, filename):
        names = [name for lo, hi, name in spans if lo <= first + 1 <= hi]
        if not names:
            raise MarkerError(f"{filename}:{first + 1}: a solution region must sit inside a function "
                              "or method, so the stub can say what to implement.")
        indent = re.match(r"\s*", lines[first]).group(0)
        out += lines[cursor:first]
        out.append(f"{indent}# YOUR CODE HERE\n")
        out.append(f'{indent}raise NotImplementedError("Implement {names[0]} in lib/{module}.py")\n')
        cursor = last + 1
    out += lines[cursor:]
    return "".join(out)


def strip_markers(source, begin=BEGIN_SOLUTION, end=END_SOLUTION, keep_inside=True, filename="<source>"):
    """`source` without its marker lines; with keep_inside=False the regions' contents go too."""
    lines = source.splitlines(keepends=True)
    drop = set()
    for first, last in regions(lines, begin, end, filename):
        drop.update((first, last) if keep_inside else range(first, last + 1))
    return "".join(line for index, line in enumerate(lines) if index not in drop)


def has_solution(source):
    return any(line.strip() == BEGIN_SOLUTION for line in source.splitlines())


def generate_lib(solutions_dir, lib_dir):
    """{relative path: text} of every lib/ file generated from solutions/ (stubs or verbatim)."""
    files = {}
    for path in sorted(Path(solutions_dir).glob("*.py")):
        source = path.read_text()
        if path.name == "__init__.py":
            files[path.name] = '"""Your code for the course: implement the stubs in these modules."""\n'
        else:
            files[path.name] = make_stub(source, path.stem) if has_solution(source) else source
    return files


def write_lib(solutions_dir, lib_dir):
    """Write lib/ from solutions/; return the names of the files that changed."""
    lib_dir = Path(lib_dir)
    lib_dir.mkdir(exist_ok=True)
    changed = []
    for name, text in generate_lib(solutions_dir, lib_dir).items():
        target = lib_dir / name
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
            changed.append(name)
    return changed


def lib_drift(solutions_dir, lib_dir):
    """Lines describing how lib/ differs from what solutions/ generates ([] when in sync)."""
    expected = generate_lib(solutions_dir, lib_dir)
    present = {p.name for p in Path(lib_dir).glob("*.py")}
    drift = [f"lib/{name}: missing" for name in sorted(set(expected) - present)]
    drift += [f"lib/{name}: not generated from solutions/ (remove it or add solutions/{name})"
              for name in sorted(present - set(expected))]
    drift += [f"lib/{name}: differs from what solutions/{name} generates; run `autograder stubs`"
              for name in sorted(set(expected) & present) if (Path(lib_dir) / name).read_text() != expected[name]]
    return drift
