"""The answer key: an assignment's solution release, handed to students after its deadline.

    autograder answer-key NAME [--out DIR] [--fast]      -> DIR/NAME/

It is the student release (the one release builder) with three differences:

- `lib/` holds the reference of this assignment's modules and of earlier assignments' (their
  deadlines have passed too), markers stripped by the release builder's own `strip_markers`;
  given helpers are the reference's too. Modules of *later* assignments stay stubs: their
  deadlines have not passed.
- the notebooks are the source notebooks with the model answers of the inline questions kept
  (the text inside `### BEGIN SOLUTION` / `### END SOLUTION`, markers dropped), hidden tests
  removed, and every cell run top to bottom on that `lib/` (outputs kept). `fast` runs them in
  the notebooks' fast mode (GRADLAB_FAST=1); otherwise the full run students would do.
- nothing of the hidden checks: the autograder inside is the release's, whose checks module is
  the public one. `audit_answer_key` verifies that, and the key is built in a staging folder and
  moved into place only when the audit is clean.
"""
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput

from .. import __version__
from ..course import ASSIGNMENTS, assignment as find_assignment, course_root, owner
from ..markers import BEGIN_HIDDEN, END_HIDDEN, regions
from .release import RELEASE_MARKER, build_release, leak_problems, prepare_destination, student_checks
from .stubs import make_stub, strip_markers

# Per cell: generous, so that only a hang (not a full-size run on a slow machine) stops the build.
CELL_TIMEOUT_SECONDS = 3600


class AnswerKeyError(RuntimeError):
    """The answer key could not be built; nothing was written in its place."""


def build_answer_key(name, dest, fast=False, root=None):
    """Build the answer key of assignment `name` in folder `dest` (replaced if a release). → dest"""
    assignment = find_assignment(name)
    root = Path(root) if root else course_root()
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()) and not (dest / RELEASE_MARKER).exists():
        raise AnswerKeyError(f"{dest} exists and is not an earlier release or answer key; choose an empty or "
                             "new folder.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-answer-key-", dir=dest.parent))
    try:
        key = build_release(name, staging / name, root=root, earlier_as="reference")
        manifest = json.loads((key / RELEASE_MARKER).read_text())
        manifest["lib"] = reference_lib(key / "lib", assignment, root)
        for notebook in assignment.notebooks:
            answered = answered_notebook(root / "assignments" / name / notebook)
            run_notebook(answered, key, notebook, fast)
            nbformat.write(answered, key / notebook)
        remove_run_leftovers(key)
        manifest.update(answer_key=True, fast=fast, grader_version=__version__)
        (key / RELEASE_MARKER).write_text(json.dumps(manifest, indent=2) + "\n")
        (key / "README.md").write_text(answer_key_readme(assignment, fast))
        problems = audit_answer_key(key, name, root)
        if problems:
            raise AnswerKeyError("the answer key would leak hidden checks or instructor material:\n"
                                 + "\n".join(problems))
        dest = prepare_destination(dest)
        dest.rmdir()
        shutil.move(key, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def reference_lib(lib, assignment, root):
    """Replace the modules in folder `lib` whose deadline has passed by the reference. → manifest

    That is the modules of `assignment` and of earlier ones, and the given helpers (so a helper
    that the release made call the student's own function is the plain reference again).
    """
    order = [a.name for a in ASSIGNMENTS]
    manifest = {}
    for path in sorted(lib.glob("*.py")):
        if path.name == "__init__.py":
            continue
        module_owner = owner(path.stem)
        if module_owner is not None and order.index(module_owner.name) > order.index(assignment.name):
            manifest[path.stem] = "stub (a later assignment)"
            continue
        source = (root / "solutions" / path.name).read_text()
        path.write_text(strip_markers(source, filename=f"solutions/{path.name}"))
        manifest[path.stem] = "given" if module_owner is None else "reference"
    return manifest


def answered_notebook(source_path):
    """The source notebook with its model answers kept (markers dropped), hidden tests and outputs removed."""
    notebook = nbformat.read(source_path, as_version=4)
    resources = {"language": "python"}
    for preprocessor in (ClearHiddenTests(), ClearOutput()):
        notebook, resources = preprocessor.preprocess(notebook, resources)
    for index, cell in enumerate(notebook.cells):
        cell.source = strip_markers(cell.source, filename=f"{source_path.name}, cell {index}")
    return notebook


def run_notebook(notebook, folder, name, fast):
    """Execute `notebook` in place, with `folder` (holding lib/) as its working directory."""
    env = dict(os.environ)
    env.pop("GRADLAB_FAST", None)
    if fast:
        env["GRADLAB_FAST"] = "1"
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_SECONDS, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    try:
        client.execute(env=env)
    except CellExecutionError as exc:
        raise AnswerKeyError(f"{name} stopped with {exc.ename}: {exc.evalue} while running on the reference; "
                             "the answer key was not written. Run the notebook on the reference "
                             "(tests/test_notebooks.py does) to see where.") from None


def remove_run_leftovers(folder):
    for leftover in [*folder.rglob("__pycache__"), *folder.rglob(".ipynb_checkpoints")]:
        shutil.rmtree(leftover, ignore_errors=True)


def hidden_check_names(assignment):
    """Names of the hidden checks (`test_x`, and `x` as results name it) of an assignment."""
    lines = assignment.checks_file.read_text().splitlines()
    names = set()
    for first, last in regions(lines, BEGIN_HIDDEN, END_HIDDEN, str(assignment.checks_file)):
        for test in re.findall(r"^def (test_\w+)", "\n".join(lines[first:last]), re.MULTILINE):
            names.update((test, test[len("test_"):]))
    return names


def audit_answer_key(dest, name, root=None):
    """Problems that make answer key `dest` unfit to hand to students ([] when it is clean)."""
    assignment = find_assignment(name)
    root = Path(root) if root else course_root()
    dest = Path(dest)
    problems = leak_problems(dest)
    checks = dest / "autograder" / "checks" / f"{name}.py"
    if not checks.is_file() or checks.read_text() != student_checks(assignment):
        problems.append(f"autograder/checks/{name}.py: is not the public checks module")
    hidden = hidden_check_names(assignment)
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, hidden))) + r")\b") if hidden else None
    for path in sorted(p for p in dest.rglob("*") if p.is_file() and p.suffix in (".py", ".ipynb", ".md", ".txt")):
        found = sorted(set(pattern.findall(path.read_text(errors="replace")))) if pattern else []
        if found:
            problems.append(f"{path.relative_to(dest)}: names hidden checks {', '.join(found)}")
    order = [a.name for a in ASSIGNMENTS]
    for path in sorted((dest / "lib").glob("*.py")):
        module_owner = owner(path.stem)
        if module_owner is not None and order.index(module_owner.name) > order.index(name):
            if path.read_text() != make_stub((root / "solutions" / path.name).read_text(), path.stem):
                problems.append(f"lib/{path.name}: a later assignment's module that is not its stub")
    return problems


def answer_key_readme(assignment, fast):
    run = ("in fast mode (small data subsets, few iterations; set GRADLAB_FAST=1 to do the same)"
           if fast else "in full")
    later = "; modules of later assignments are still stubs" if assignment is not ASSIGNMENTS[-1] else ""
    return (f"# Answer key: {assignment.name}\n\n"
            f"The reference solution of the {assignment.name} assignment, released after its deadline.\n\n"
            f"- `lib/`: the reference implementation of {', '.join(f'`lib/{m}.py`' for m in assignment.modules)}"
            f"{later}.\n"
            f"- {', '.join(assignment.notebooks)}: run top to bottom on it {run}, with model answers to the "
            "inline questions.\n"
            f"- `python -m autograder check {assignment.name}` runs the public checks: all pass.\n")
