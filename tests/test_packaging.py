"""Installs that work (issue 16): every import declared by the install it belongs to, the wheel
holding every file the package reads, and an installed wheel grading from outside the checkout.

Three installs carry parts of `autograder/`:
- the instructor's (`pip install`, pyproject.toml): every module;
- the student release (its requirements.txt): the modules release.py ships;
- the Gradescope image (requirements-grader.txt): the grading core that run_autograder imports.
"""
import ast
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from autograder.course import ASSIGNMENTS
from autograder.instructor import gradescope, release
from autograder.instructor.reference import copy_reference_lib
from conftest import ROOT

PACKAGE = ROOT / "autograder"
# Names that are this project's own code, not distributions: the package itself and the course's
# lib/ (the student's modules, which checks/worker_side/ imports inside the worker).
OWN_TOP_LEVEL = {"autograder", "lib"}
# A fallback import (in the `except ImportError` handler of an import of a standard module) is
# needed only on Pythons older than the one that added the module.
STANDARD_MODULE_SINCE = {"tomllib": (3, 11)}
# The oldest Python each install must run on: the student's and Gradescope's may be 3.10 (the
# grading core is checked 3.10-compatible by tests/test_gradescope.py).
OLDEST_STUDENT_PYTHON = OLDEST_GRADESCOPE_PYTHON = (3, 10)
# Import name -> the distributions that provide it, as installed here (numpy -> numpy, yaml -> PyYAML).
INSTALLED_DISTRIBUTIONS = importlib.metadata.packages_distributions()


# -- what the modules import ---------------------------------------------------------------------

def _top(name):
    return name.split(".")[0]


def imports_of(path):
    """{top-level import name: kind} for the module at `path`, at any depth of its code.

    kind is "required", "optional" (imported in the `try` of an `except ImportError`: the module
    works without it) or "fallback:<module>" (imported in such a handler, instead of <module>).
    Relative imports and imports of a module beside `path` (a script's own siblings) are left out.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    kinds = {}

    def visit(node, kind):
        if isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
            primaries = [_top(n) for statement in node.body for n in _imported_names(statement)]
            for statement in node.body:
                visit(statement, "optional")
            for handler in node.handlers:
                for statement in handler.body:
                    visit(statement, f"fallback:{primaries[0]}" if primaries else "required")
            for statement in node.orelse + node.finalbody:
                visit(statement, kind)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in _imported_names(node):
                top = _top(name)
                if (path.parent / f"{top}.py").is_file() and not (isinstance(node, ast.ImportFrom) and node.level):
                    continue  # a script's sibling, on its own sys.path
                if kinds.get(top, "optional") != "required":
                    kinds[top] = kind
            return
        for child in ast.iter_child_nodes(node):
            visit(child, kind)

    visit(tree, "required")
    return kinds


def _catches_import_error(handler):
    names = {getattr(t, "id", None) for t in (handler.type.elts if isinstance(handler.type, ast.Tuple)
                                               else [handler.type])}
    return bool(names & {"ImportError", "ModuleNotFoundError"})


def _imported_names(node):
    """Absolute module names imported by an import statement (none for a relative one)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def third_party(kinds):
    return {name: kind for name, kind in kinds.items()
            if name not in sys.stdlib_module_names and name not in OWN_TOP_LEVEL}


def distributions_of(import_name):
    """The canonical names of the distributions that provide `import_name` (itself if unknown here)."""
    return {canonicalize_name(d) for d in INSTALLED_DISTRIBUTIONS.get(import_name, [import_name])}


def needed(kind, oldest_python):
    """Whether an import of this kind must be installed on an install whose oldest Python is given."""
    if kind == "optional":
        return False
    if kind.startswith("fallback:"):
        primary = kind.split(":", 1)[1]
        assert primary in STANDARD_MODULE_SINCE, (
            f"a fallback import replaces {primary!r}; add the Python version that added it to "
            "STANDARD_MODULE_SINCE so the test knows where the fallback is needed.")
        return oldest_python < STANDARD_MODULE_SINCE[primary]
    return True


def undeclared(modules, requirement_lines, oldest_python):
    """{module: [import names]} of third-party imports that the requirements do not install on
    every Python from `oldest_python` up (a requirement's environment marker counts)."""
    requirements = [Requirement(line) for line in requirement_lines]
    missing = {}
    for path in modules:
        for name, kind in sorted(third_party(imports_of(path)).items()):
            if not needed(kind, oldest_python):
                continue
            where = oldest_python if kind.startswith("fallback:") else sys.version_info[:2]
            environment = {"python_version": "%d.%d" % where, "python_full_version": "%d.%d.0" % where}
            provided = any(canonicalize_name(r.name) in distributions_of(name)
                           and (r.marker is None or r.marker.evaluate(environment)) for r in requirements)
            if not provided:
                shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                missing.setdefault(str(shown), []).append(name)
    return missing


def requirement_lines(text):
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]


def pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def oldest_python_allowed(specifier):
    """The oldest (major, minor) that a requires-python specifier admits, among 3.8 to 3.14."""
    allowed = SpecifierSet(specifier)
    return next((3, minor) for minor in range(8, 15) if any(
        allowed.contains(f"3.{minor}.{patch}") for patch in range(20)))


def released_modules():
    """Every module a student release ships (release.py's list, worker-side checks, each checks module)."""
    files = [PACKAGE / f for f in release.STUDENT_AUTOGRADER_FILES if f.endswith(".py") and (PACKAGE / f).is_file()]
    files += sorted((PACKAGE / "checks" / "worker_side").glob("*.py"))
    return files + [a.checks_file for a in ASSIGNMENTS if a.checks_file.is_file()]


def module_path(name):
    relative = Path(*name.split("."))
    return PACKAGE.parent / (f"{relative}.py" if (PACKAGE.parent / f"{relative}.py").is_file()
                             else relative / "__init__.py")


def loaded_at_import(entry):
    """The package's modules that importing module `entry` loads (its module-level imports, then
    theirs), with the packages above each of them."""
    seen, todo = set(), [entry]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        path = module_path(name)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.parse(path.read_text()).body:
            for statement in ([node] if not isinstance(node, ast.Try) else node.body + node.handlers[0].body):
                if isinstance(statement, ast.ImportFrom) and statement.level:
                    base = package.split(".")[:len(package.split(".")) - statement.level + 1]
                    target = ".".join(base + ([statement.module] if statement.module else []))
                    todo += [t for t in ([target] + [f"{target}.{a.name}" for a in statement.names])
                             if module_path(t).is_file()]
                elif isinstance(statement, (ast.Import, ast.ImportFrom)):
                    todo += [n for n in _imported_names(statement) if _top(n) == "autograder"]
    return {module_path(n) for n in seen}


def grading_core():
    """What the Gradescope image runs: run_autograder's module and what it loads, every checks
    module (pytest loads them by path) and the worker's scripts and check-side code."""
    core = loaded_at_import("autograder.instructor.gradescope")
    core |= {p for p in (PACKAGE / "checks").rglob("*.py")}
    core |= {PACKAGE / "sandbox" / "worker.py", PACKAGE / "sandbox" / "jail.py"}
    return sorted(core)


# -- the three installs --------------------------------------------------------------------------

def test_the_instructor_install_declares_every_import_of_the_package():
    project = pyproject()
    modules = sorted(PACKAGE.rglob("*.py"))
    missing = undeclared(modules, project["dependencies"], oldest_python_allowed(project["requires-python"]))
    assert missing == {}, (f"pyproject.toml's [project] dependencies do not install {missing}: "
                           "add each distribution to dependencies (not to an extra: every command may import it).")


def test_the_student_release_declares_every_import_of_what_it_ships():
    missing = undeclared(released_modules(), requirement_lines(release.STUDENT_REQUIREMENTS), OLDEST_STUDENT_PYTHON)
    assert missing == {}, f"the release's requirements.txt (STUDENT_REQUIREMENTS) does not install {missing}."


def test_the_gradescope_image_declares_every_import_of_the_grading_core():
    core = grading_core()
    assert PACKAGE / "runner.py" in core and PACKAGE / "sandbox" / "proxy.py" in core
    assert PACKAGE / "instructor" / "release.py" not in core, "building a release is not part of grading"
    missing = undeclared(core, requirement_lines(gradescope.GRADER_REQUIREMENTS), OLDEST_GRADESCOPE_PYTHON)
    assert missing == {}, f"GRADER_REQUIREMENTS (the Gradescope image's setup.sh) does not install {missing}."


# The scanner itself: each kind of import it must see, and the mistake it must catch.
SCANNED = '''
import numpy as np
from scipy import linalg
import os.path
from . import sibling
try:
    import tomllib
except ModuleNotFoundError:
    import tomli as tomllib
try:
    import fancy_optional
except ImportError:
    fancy_optional = None


def late():
    import pytest
    from yaml import safe_load
'''


def test_the_scanner_finds_imports_at_every_depth_and_knows_fallbacks(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(SCANNED)
    (tmp_path / "wire.py").write_text("")
    (tmp_path / "script.py").write_text("import wire\nimport numpy\n")
    kinds = third_party(imports_of(module))
    assert kinds == {"numpy": "required", "scipy": "required", "tomli": "fallback:tomllib",
                     "fancy_optional": "optional", "pytest": "required", "yaml": "required"}
    assert third_party(imports_of(tmp_path / "script.py")) == {"numpy": "required"}
    lines = ["numpy>=1.26", "pytest", 'tomli; python_version < "3.11"']
    assert undeclared([module], lines, (3, 10)) == {str(module): ["scipy", "yaml"]}
    assert undeclared([module], lines[:2] + ["scipy", "pyyaml"], (3, 11)) == {}, "tomli is not needed on 3.11"
    assert undeclared([module], lines[:2] + ["scipy", "pyyaml"], (3, 10)) != {}, "but it is on 3.10"


# -- the wheel -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel `pip wheel --no-deps .` builds from this checkout (its build backend from the index)."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = out.glob("gradlab-*.whl")
    return path


def package_files():
    """Every file of the package in the checkout, as a path inside a wheel."""
    return {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


@pytest.mark.slow
def test_the_wheel_holds_every_file_of_the_package_and_nothing_of_the_course(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = package_files()
    assert {"autograder/checks/pytest.ini", "autograder/instructor/student_readme.md"} <= expected
    assert expected - names == set(), f"the wheel lacks {sorted(expected - names)}: list them in package-data"
    outside = {n for n in names if not n.startswith(("autograder/", "gradlab-"))}
    assert outside == set(), f"the wheel installs more than the grader: {sorted(outside)}"


def fresh_venv(folder):
    """A virtual environment that sees none of this machine's packages. → its bin/ folder"""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=300)
    return folder / "bin"


def outside_env(bin_dir, **extra):
    """An environment whose python3 and autograder are the venv's, with no path into the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRADLAB_COURSE_ROOT", "VIRTUAL_ENV")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(bin_dir.parent),
               PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """(bin folder, environment) of a fresh venv holding the wheel and its dependencies."""
    bin_dir = fresh_venv(tmp_path_factory.mktemp("installed") / "venv")
    env = outside_env(bin_dir)
    done = subprocess.run([str(bin_dir / "python3"), "-m", "pip", "install", "--quiet", str(wheel)],
                          capture_output=True, text=True, env=env, timeout=1200)
    assert done.returncode == 0, done.stdout + done.stderr
    return bin_dir, env


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    """{"reference": a released svm folder with the reference lib/, "stubs": one untouched}."""
    base = tmp_path_factory.mktemp("submissions")
    stubs = release.build_release("svm", base / "stubs" / "svm")
    reference = release.build_release("svm", base / "reference" / "svm")
    copy_reference_lib(reference)
    return {"reference": reference, "stubs": stubs}


def grade_installed(installed, submission, out, cwd, **extra_env):
    bin_dir, env = installed
    return subprocess.run([str(bin_dir / "autograder"), "grade", str(submission), "--assignment", "svm",
                           "--out", str(out), "--seed", "3"], cwd=cwd, capture_output=True, text=True,
                          env=dict(env, **extra_env), timeout=600)


@pytest.mark.slow
def test_an_installed_wheel_grades_the_reference_in_full_from_outside_the_checkout(installed, submissions, tmp_path):
    bin_dir, env = installed
    located = subprocess.run([str(bin_dir / "python3"), "-c", "import autograder; print(autograder.__file__)"],
                             cwd=tmp_path, capture_output=True, text=True, env=env)
    assert located.returncode == 0 and "site-packages" in located.stdout, located.stdout + located.stderr
    assert not Path(located.stdout.strip()).is_relative_to(ROOT), "the venv imported the checkout, not the wheel"
    graded = grade_installed(installed, submissions["reference"], tmp_path / "results.json", tmp_path,
                             GRADLAB_COURSE_ROOT=str(ROOT))
    assert graded.returncode == 0, graded.stdout + graded.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == results["max_score"] > 0, [t["output"] for t in results["tests"]
                                                          if t["status"] == "failed"]
    assert any(t["visibility"] == "after_due_date" for t in results["tests"]), "the grade ran no hidden check"


@pytest.mark.slow
def test_an_installed_wheel_gives_the_untouched_stubs_nothing(installed, submissions, tmp_path):
    graded = grade_installed(installed, submissions["stubs"], tmp_path / "results.json", tmp_path,
                             GRADLAB_COURSE_ROOT=str(ROOT))
    assert graded.returncode == 0, graded.stdout + graded.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == 0 < results["max_score"]
    assert {t["status"] for t in results["tests"]} == {"failed"}


@pytest.mark.slow
def test_an_installed_wheel_without_a_course_root_says_how_to_name_one(installed, submissions, tmp_path):
    graded = grade_installed(installed, submissions["reference"], tmp_path / "results.json", tmp_path)
    assert graded.returncode == 2 and not (tmp_path / "results.json").exists(), graded.stdout + graded.stderr
    assert "Traceback" not in graded.stderr, graded.stderr
    assert re.match(r"autograder grade: No course folder with solutions/ was found: .*set GRADLAB_COURSE_ROOT",
                    graded.stderr), graded.stderr
