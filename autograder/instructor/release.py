"""The one release builder: what a student receives for one assignment.

Every channel uses it (the demo, `autograder release`, nbgrader's generate_assignment, the
student zip, the Gradescope bundle). A release folder holds:

- the assignment's notebooks, with solutions, hidden tests and outputs cleared by nbgrader's
  own preprocessors;
- `lib/` with every module the notebooks and the assignment's modules import: the
  assignment's own modules and those of later assignments as stubs, earlier assignments'
  modules as the reference (or stubs, when course.toml says `earlier_modules = "stub"`), given
  helpers complete;
- `datasets/` (the offline default data), a short student README and `requirements.txt` (what
  a student installs: no nbgrader, nothing of the instructor's);
- the student part of the autograder: `check`, the sandbox, the public checks of this
  assignment (its hidden region removed).

Never in a release: solutions/, a hidden check, the instructor package, the solution of the
assignment's own modules. `audit_release` verifies that after every build.
"""
import ast
import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

from .. import __version__
from ..course import ASSIGNMENTS, PACKAGE_DIR, assignment as find_assignment, course_root, owner, settings
from ..markers import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION
from .stubs import has_solution, make_stub, strip_markers

RELEASE_MARKER = ".gradlab-release"

# The student part of the autograder, relative to the package; plus checks/<assignment>.py and
# the check-side code that runs in the worker (checks/worker_side/, public by design).
STUDENT_AUTOGRADER_FILES = (
    "__init__.py", "__main__.py", "cli.py", "course.py", "markers.py", "notebook.py", "package.py", "plugin.py",
    "results.py", "runner.py", "static_loops.py", "text_safety.py",
    "sandbox/__init__.py", "sandbox/proxy.py", "sandbox/wire.py", "sandbox/worker.py", "sandbox/isolation.py",
    "sandbox/jail.py", "sandbox/submission.py", "sandbox/scratch.py",
    "checks/__init__.py", "checks/common.py", "checks/objectives.py", "checks/pytest.ini",
)
DATASET_FILES = ("digits.csv.gz", "README.md")
# What a student installs (`python -m pip install -r requirements.txt`): the notebooks' imports,
# JupyterLab with ipywidgets (tqdm's progress bars), pytest for the public checks and, on Python
# 3.10, tomli for course.py. tests/test_packaging.py (the shipped autograder) and
# tests/test_student_seat.py (the whole release, notebooks included) check it covers every import.
STUDENT_REQUIREMENTS = """\
numpy>=1.26
matplotlib>=3.8
jupyterlab>=4.4,<5
ipywidgets>=8.1
tqdm>=4.66
pytest>=7.4
tomli>=2.0; python_version < "3.11"
"""
LIB_IMPORT = re.compile(r"^\s*(?:from\s+lib\.(\w+)\s+import|from\s+lib\s+import\s+([\w\s,]+)|import\s+lib\.(\w+))",
                        re.MULTILINE)


class ReleaseError(RuntimeError):
    pass


def notebook_lib_imports(notebook):
    """Names of the lib modules a notebook imports (`from lib.x import`, `from lib import x, y`)."""
    names = set()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for match in LIB_IMPORT.finditer(cell.source):
            found = match.group(1) or match.group(3)
            if found:
                names.add(found)
            else:
                names.update(n.strip() for n in match.group(2).split(",") if n.strip())
    return names


def module_lib_imports(source):
    """Names of the lib modules a lib module imports relatively (`from .x import`, `from . import x`)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names


def lib_modules(assignment, notebooks, solutions_dir):
    """Every lib module the release needs: own modules, notebook imports, given helpers, and their imports."""
    given = {p.stem for p in solutions_dir.glob("*.py")
             if p.stem != "__init__" and not has_solution(p.read_text())}
    wanted = set(assignment.modules) | given
    for notebook in notebooks:
        wanted |= notebook_lib_imports(notebook)
    needed, todo = set(), list(wanted)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        path = solutions_dir / f"{name}.py"
        if not path.is_file():
            raise ReleaseError(f"the {assignment.name} release needs lib/{name}.py, but solutions/{name}.py "
                               "does not exist.")
        needed.add(name)
        todo += module_lib_imports(path.read_text())
    return sorted(needed)


def _function_node(tree, name):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise ReleaseError(f"no top-level function {name} to delegate")


def delegate(source, helper, target_module, target, target_source):
    """`source` with the body of function `helper` replaced by a call to lib/<target_module>'s
    `target` (docstring kept), passing the parameters both functions have."""
    helper_node = _function_node(ast.parse(source), helper)
    target_args = _function_node(ast.parse(target_source), target).args
    helper_params = {a.arg for a in helper_node.args.args}
    names = [a.arg for a in target_args.args]
    first_default = len(names) - len(target_args.defaults)
    passed = [name if i < first_default else f"{name}={name}" for i, name in enumerate(names) if name in helper_params]
    body = helper_node.body[1:] if ast.get_docstring(helper_node) else helper_node.body
    lines = source.splitlines(keepends=True)
    indent = " " * body[0].col_offset
    replacement = [f"{indent}# In this assignment you write this yourself (lib/{target_module}.py): use yours.\n",
                   f"{indent}from .{target_module} import {target}\n",
                   "\n",
                   f"{indent}return {target}({', '.join(passed)})\n"]
    return "".join(lines[:body[0].lineno - 1] + replacement + lines[helper_node.end_lineno:])


def released_module(name, assignment, source, earlier_as, solutions_dir):
    """The text of lib/<name>.py in `assignment`'s release, and how it was made."""
    if not has_solution(source):
        kind = "given"
        for helper, student_function in assignment.delegated:
            helper_module, helper_name = helper.split(".")
            if helper_module == name:
                target_module, target = student_function.split(".")
                target_source = (solutions_dir / f"{target_module}.py").read_text()
                source = delegate(source, helper_name, target_module, target, target_source)
                kind = f"given, {helper_name} calls the student's {target}"
        return source, kind
    module_owner = owner(name)
    order = [a.name for a in ASSIGNMENTS]
    if module_owner is None:
        raise ReleaseError(f"solutions/{name}.py has solution regions but no assignment in course.py owns it.")
    earlier = order.index(module_owner.name) < order.index(assignment.name)
    if earlier and earlier_as == "reference":
        return strip_markers(source, filename=f"solutions/{name}.py"), "reference"
    return make_stub(source, name), "stub"


def clear_notebook(path):
    """The student version of a source notebook: nbgrader clears solutions, hidden tests, outputs."""
    notebook = nbformat.read(path, as_version=4)
    resources = {"language": "python"}
    for preprocessor in (ClearSolutions(), ClearHiddenTests(), ClearOutput()):
        notebook, resources = preprocessor.preprocess(notebook, resources)
    return notebook


def student_checks(assignment):
    """The assignment's checks module without its hidden region."""
    source = assignment.checks_file.read_text()
    return strip_markers(source, BEGIN_HIDDEN, END_HIDDEN, keep_inside=False, filename=str(assignment.checks_file))


def prepare_destination(dest):
    dest = Path(dest)
    if dest.exists():
        if any(dest.iterdir()) and not (dest / RELEASE_MARKER).exists():
            raise ReleaseError(f"{dest} exists and is not an earlier release; choose an empty or new folder.")
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    return dest


def build_release(name, dest, root=None, earlier_as=None, notebooks=True, into_existing=False):
    """Build the student release of assignment `name` in folder `dest` (replaced if a release). → dest

    `notebooks=False` leaves the notebooks out and `into_existing=True` writes beside what is
    already in `dest`: nbgrader's generate_assignment writes the notebooks itself.
    """
    assignment = find_assignment(name)
    root = Path(root) if root else course_root()
    earlier_as = earlier_as or settings(root).earlier_modules
    source_dir = root / "assignments" / name
    sources = [source_dir / nb for nb in assignment.notebooks]
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        raise ReleaseError(f"the {name} assignment lists notebooks that do not exist: {', '.join(missing)}.")
    dest = Path(dest)
    if into_existing:
        dest.mkdir(parents=True, exist_ok=True)
        for generated in ("lib", "datasets", "autograder"):
            shutil.rmtree(dest / generated, ignore_errors=True)
    else:
        dest = prepare_destination(dest)

    cleared = [clear_notebook(p) for p in sources]
    if notebooks:
        for path, notebook in zip(sources, cleared):
            nbformat.write(notebook, dest / path.name)

    lib = dest / "lib"
    lib.mkdir()
    (lib / "__init__.py").write_text('"""Your code for the course: implement the stubs in these modules."""\n')
    manifest = {}
    solutions_dir = root / "solutions"
    for module in lib_modules(assignment, cleared, solutions_dir):
        text, kind = released_module(module, assignment, (solutions_dir / f"{module}.py").read_text(), earlier_as,
                                     solutions_dir)
        (lib / f"{module}.py").write_text(text)
        manifest[module] = kind

    (dest / "datasets").mkdir()
    for file in DATASET_FILES:
        shutil.copy(root / "datasets" / file, dest / "datasets" / file)

    package = dest / "autograder"
    for relative in STUDENT_AUTOGRADER_FILES:
        target = package / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PACKAGE_DIR / relative, target)
    shutil.copytree(PACKAGE_DIR / "checks" / "worker_side", package / "checks" / "worker_side",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (package / "checks" / f"{name}.py").write_text(student_checks(assignment))

    readme = (Path(__file__).parent / "student_readme.md").read_text()
    (dest / "README.md").write_text(readme.format(name=name, notebooks=", ".join(assignment.notebooks),
                                                  stubs=", ".join(f"lib/{m}.py" for m in assignment.modules)))
    (dest / "requirements.txt").write_text(STUDENT_REQUIREMENTS)
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts and p.name != RELEASE_MARKER)
    (dest / RELEASE_MARKER).write_text(json.dumps({"assignment": name, "grader_version": __version__,
                                                   "lib": manifest, "files": files}, indent=2) + "\n")
    problems = audit_release(dest, name, root)
    if problems:
        raise ReleaseError("the release would leak instructor material:\n" + "\n".join(problems))
    return dest


def zip_release(name, out, root=None, earlier_as=None):
    """The release of `name` (build_release) as a zip holding `name/`, for courses without
    nbgrader: `autograder release NAME --zip`. → out"""
    from ..package import write_zip

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = build_release(name, Path(scratch) / name, root=root, earlier_as=earlier_as)
        files = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
        return write_zip(folder, files, out, prefix=name)


def audit_release(dest, name, root=None):
    """Problems that make `dest` unfit to hand to students ([] when it is clean)."""
    assignment = find_assignment(name)
    root = Path(root) if root else course_root()
    dest = Path(dest)
    problems = leak_problems(dest)
    for module in assignment.modules:
        released = dest / "lib" / f"{module}.py"
        stub = make_stub((root / "solutions" / f"{module}.py").read_text(), module)
        if released.is_file() and released.read_text() != stub:
            problems.append(f"lib/{module}.py: is not the stub of the assignment's own module")
    return problems


def leak_problems(dest):
    """Instructor folders and instructor-only marker lines anywhere in folder `dest` ([] when none).

    What every folder handed to students must pass: a release, and an answer key too.
    """
    dest = Path(dest)
    problems = []
    for path in sorted(dest.rglob("*")):
        relative = path.relative_to(dest)
        if path.is_dir() and path.name in ("solutions", "instructor", "source"):
            problems.append(f"{relative}/: an instructor folder")
        if not path.is_file() or path.suffix not in (".py", ".ipynb", ".md", ".txt", ".cfg", ".toml"):
            continue
        if path.suffix == ".ipynb":
            lines = [line for cell in nbformat.read(path, as_version=4).cells for line in cell.source.splitlines()]
        else:
            lines = path.read_text(errors="replace").splitlines()
        markers = {line.strip() for line in lines} & {BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN}
        problems += [f"{relative}: contains the marker line '{marker}'" for marker in sorted(markers)]
    return problems
