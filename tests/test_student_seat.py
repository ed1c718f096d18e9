"""The student's seat (issue 10): the release a student receives, the notebooks in a real kernel,
self-check and packaging, platforms without POSIX sandbox features, and the README's walk-through.

The browser half is tests/test_browser.py.
"""
import ast
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from autograder import package as packager
from autograder.course import assignment as find_assignment
from autograder.markers import BEGIN_HIDDEN, END_HIDDEN, regions
from autograder.notebook import self_check, stub_message
from autograder.package import PackagingError, package, stubs_left
from autograder.sandbox import isolation
from autograder.sandbox.proxy import Limits, Sandbox, SandboxTimeout, WorkerDied
from conftest import NOTEBOOKS, ROOT, copy_release, execute, execute_recording_figures

RELEASED = sorted({name for name, _ in NOTEBOOKS})
STUB_LINE = re.compile(r"^Not implemented yet: Implement (\S+) in lib/(\w+)\.py"
                       r" — implement it, save, rerun this cell$")
TRAINING_CALLS = ("train", "minibatch_sgd")
WINDOWS_LIKE = {"rlimits": False, "process_group": False, "pass_fds": False, "select_pipes": False}


# -- helpers ------------------------------------------------------------------------------------

def clean_env(**extra):
    """The environment of a student's process: no course root, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRADLAB_COURSE_ROOT")}
    env.update(extra)
    return env


def run(args, cwd, **kwargs):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=clean_env(), timeout=600, **kwargs)


def hidden_check_names(name):
    lines = find_assignment(name).checks_file.read_text().splitlines()
    names = set()
    for first, last in regions(lines, BEGIN_HIDDEN, END_HIDDEN):
        names.update(n[len("test_"):] for n in re.findall(r"^def (test_\w+)", "\n".join(lines[first:last]), re.M))
    return names


def outputs(cell, kind=None):
    return [o for o in cell.get("outputs", []) if kind is None or o.output_type == kind]


# -- the release --------------------------------------------------------------------------------

@pytest.mark.slow
def test_release_all_as_zips_is_the_one_builders_folders_zipped(releases, tmp_path):
    completed = run([sys.executable, "-m", "autograder", "release", "all", "--zip", "--out", str(tmp_path)], ROOT)
    assert completed.returncode == 0, completed.stderr
    for name in RELEASED:
        with zipfile.ZipFile(tmp_path / f"{name}.zip") as archive:
            names = set(archive.namelist())
        folder = releases[name]
        expected = {f"{name}/{p.relative_to(folder).as_posix()}" for p in folder.rglob("*") if p.is_file()}
        assert names == expected
        for required in ("requirements.txt", "README.md", "autograder/notebook.py", "autograder/package.py",
                         *find_assignment(name).notebooks):
            assert f"{name}/{required}" in names
        assert not any("/solutions/" in n or "/instructor/" in n for n in names)
    unknown = run([sys.executable, "-m", "autograder", "release", "nope", "--zip"], ROOT)
    assert unknown.returncode == 2 and "Unknown assignment 'nope'" in unknown.stderr


def requirement_names(text):
    return {re.split(r"[<>=!;\[ ]", line.strip(), maxsplit=1)[0].lower()
            for line in text.splitlines() if line.strip() and not line.startswith("#")}


# Import name -> the requirement that provides it (IPython comes with jupyterlab's ipykernel).
PROVIDED_BY = {"numpy": "numpy", "matplotlib": "matplotlib", "tqdm": "tqdm", "pytest": "pytest",
               "IPython": "jupyterlab", "ipywidgets": "ipywidgets", "tomli": "tomli"}
LOCAL_MODULES = {"lib", "autograder", "wire", "worker_side",
                 "submission"}  # the release's own code (jail.py imports submission.py beside it)


def imported_modules(source):
    """Top-level names imported by `source`, except optional ones (in `try: ... except ImportError`)."""
    tree = ast.parse(source)
    optional = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                getattr(h.type, "id", None) in ("ImportError", "ModuleNotFoundError") for h in node.handlers):
            optional.update(id(n) for statement in node.body for n in ast.walk(statement))
    names = set()
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_student_requirements_cover_every_import_of_the_release_and_nothing_instructor_side(releases):
    for name, folder in releases.items():
        requirements = requirement_names((folder / "requirements.txt").read_text())
        assert requirements == {"numpy", "matplotlib", "jupyterlab", "ipywidgets", "tqdm", "pytest", "tomli"}
        imports = set()
        for path in folder.rglob("*.py"):
            imports |= imported_modules(path.read_text())
        for notebook in find_assignment(name).notebooks:
            for cell in nbformat.read(folder / notebook, as_version=4).cells:
                if cell.cell_type == "code":
                    code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))
                    imports |= imported_modules(code)
        third_party = imports - set(sys.stdlib_module_names) - LOCAL_MODULES
        unprovided = {m for m in third_party if PROVIDED_BY.get(m) not in requirements}
        assert unprovided == set(), f"the {name} release imports {unprovided}, which requirements.txt does not install"


def test_the_student_readme_says_how_to_set_up_work_check_and_hand_in(releases):
    for name, folder in releases.items():
        readme = (folder / "README.md").read_text()
        for needed in ("python -m pip install -r requirements.txt", "python -m jupyterlab",
                       f"python -m autograder check {name}", f'self_check("{name}")',
                       f"python -m autograder package {name}", f'package_submission("{name}")',
                       f"{name}_submission.zip", *find_assignment(name).notebooks,
                       *(f"lib/{m}.py" for m in find_assignment(name).modules)):
            assert needed in readme, f"the {name} README does not say {needed!r}"
        assert "{" not in readme and "nbgrader_config" not in readme


@pytest.mark.slow
def test_the_released_autograder_imports_alone_so_every_student_module_is_shipped(releases):
    probe = textwrap.dedent("""
        import importlib, pkgutil, autograder
        scripts = {"autograder.__main__", "autograder.sandbox.worker", "autograder.sandbox.jail"}  # run, not imported
        for module in pkgutil.walk_packages(autograder.__path__, "autograder."):
            if module.name not in scripts:
                importlib.import_module(module.name)
        print(autograder.__file__)
    """)
    for folder in releases.values():
        completed = run([sys.executable, "-c", probe], folder)
        assert completed.returncode == 0, completed.stderr
        assert completed.stdout.strip() == str(folder / "autograder" / "__init__.py")


# -- notebooks that forgive ---------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("name, notebook", NOTEBOOKS, ids=[f"{a}/{nb}" for a, nb in NOTEBOOKS])
def test_a_notebook_on_the_stubs_stops_at_the_first_stub_with_one_line(releases, tmp_path, name, notebook):
    folder = copy_release(releases, name, tmp_path)
    nb = nbformat.read(folder / notebook, as_version=4)
    with pytest.raises(CellExecutionError):
        execute(nb, folder)
    code = [c for c in nb.cells if c.cell_type == "code"]
    failing = [i for i, c in enumerate(code) if outputs(c, "error")]
    assert len(failing) == 1, "the run should stop at the first error"
    stop = failing[0]
    error = outputs(code[stop], "error")[0]
    assert error.ename == "NotImplementedError" and len(error.traceback) == 1, error.traceback
    match = STUB_LINE.match(error.traceback[0])
    assert match, error.traceback[0]
    assert match.group(2) in find_assignment(name).modules, "the first stub reached should be the student's own"
    assert all(c.execution_count is None and c.outputs == [] for c in code[stop + 1:]), "cells after it ran"


@pytest.mark.slow
def test_other_exceptions_keep_their_traceback(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "%load_ext autograder.notebook",
        "1 / 0",
        'raise NotImplementedError("a library feature that does not exist")',
        'def f():\n    raise NotImplementedError("Implement f in lib/m.py")\n\nf()',
    )]
    execute(nb, tmp_path, allow_errors=True)
    division, library, stub = (outputs(c, "error")[0] for c in nb.cells[1:])
    assert division.ename == "ZeroDivisionError" and len(division.traceback) > 1
    assert "ZeroDivisionError" in "".join(division.traceback)
    assert library.ename == "NotImplementedError" and len(library.traceback) > 1
    assert stub.traceback == ["Not implemented yet: Implement f in lib/m.py — implement it, save, rerun this cell"]
    assert stub_message(NotImplementedError("Implement f in lib/m.py")) == stub.traceback[0]
    assert stub_message(NotImplementedError("LinearClassifier.loss is defined by LinearSVM and Softmax.")) is None


def test_every_notebook_loads_the_extension_and_ends_by_checking_the_work():
    for name, notebook in NOTEBOOKS:
        nb = nbformat.read(ROOT / "assignments" / name / notebook, as_version=4)
        ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
        assert None not in ids and len(ids) == len(set(ids)), f"{notebook}: every cell needs a unique grade_id"
        setup = nb.cells[ids.index("setup")]
        assert "%load_ext autograder.notebook" in setup.source.splitlines()
        last = nb.cells[-1]
        assert last.cell_type == "code" and f'self_check("{name}")' in last.source
        assert last.metadata.nbgrader == {"grade": False, "grade_id": "check-your-work", "locked": True,
                                          "schema_version": 3, "solution": False, "task": False}


def figure_problems(figures):
    """What a reader of each rendered figure would miss: its title, its axis labels."""
    problems = []
    for number, figure in enumerate(figures, 1):
        axes = figure["axes"]
        if not (figure["title"] or any(ax["title"] for ax in axes)):
            problems.append(f"figure {number} has no title")
        for ax in axes:
            if not ax["axis_on"]:
                continue  # an image tile: the figure's own labels describe the grid
            if ax["colorbar"]:
                if not (ax["xlabel"] or ax["ylabel"]):
                    problems.append(f"figure {number}: a colour bar without a label (what do the colours mean?)")
                continue
            if not (ax["xlabel"] or figure["xlabel"]):
                problems.append(f"figure {number}: axes {ax['title']!r} have no x label")
            if not (ax["ylabel"] or figure["ylabel"]):
                problems.append(f"figure {number}: axes {ax['title']!r} have no y label")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("name, notebook", NOTEBOOKS, ids=[f"{a}/{nb}" for a, nb in NOTEBOOKS])
def test_with_the_reference_every_figure_has_a_title_and_axis_labels(reference_runs, name, notebook):
    _, nb, figures = reference_runs[name, notebook]
    assert [o for c in nb.cells for o in outputs(c, "error")] == []
    assert figures, f"{notebook} draws no figure"
    assert figure_problems(figures) == []


@pytest.mark.slow
def test_the_figure_check_fails_on_a_figure_without_labels(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\nimport matplotlib.pyplot as plt"),
                nbformat.v4.new_code_cell("plt.plot([1, 2, 3])\nplt.show()"),
                nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nax.plot([1, 2])\nax.set_title('loss')\n"
                                          "ax.set_xlabel('iteration')\nax.set_ylabel('loss')\nplt.show()")]
    _, figures = execute_recording_figures(nb, tmp_path)
    assert len(figures) == 2
    assert figure_problems(figures) == ["figure 1 has no title", "figure 1: axes '' have no x label",
                                        "figure 1: axes '' have no y label"]


def loops_training_without_a_bar(source):
    """`for` loops whose body trains (.train(...), minibatch_sgd(...)) but whose iterable is not tqdm(...)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.For):
            continue
        calls = {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
                 for n in ast.walk(node) if isinstance(n, ast.Call)}
        iterable = node.iter.func if isinstance(node.iter, ast.Call) else None
        with_bar = getattr(iterable, "id", getattr(iterable, "attr", "")) in ("tqdm", "trange")
        if calls & set(TRAINING_CALLS) and not with_bar:
            found.append(ast.unparse(node.iter))
    return found


@pytest.mark.slow
def test_long_loops_show_a_progress_bar(reference_runs):
    for (name, notebook), (_, nb, _) in reference_runs.items():
        bars = 0
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))
            assert loops_training_without_a_bar(code) == [], f"{notebook}, cell {cell.id}: a training loop without tqdm"
            if "tqdm(" in code:
                shown = [o for o in cell.outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
                         or (o.output_type == "stream" and o.name == "stderr" and "|" in o.text)]
                assert shown, f"{notebook}, cell {cell.id} uses tqdm but shows no progress bar"
                bars += 1
        trains = any(re.search(r"\.train\(|minibatch_sgd\(|random_search\(", c.source) for c in nb.cells)
        assert bars or not trains, f"{notebook} trains or searches without any progress bar"


@pytest.mark.slow
def test_the_last_cell_shows_every_public_check_passing_with_the_reference(reference_runs):
    for (name, notebook), (_, nb, _) in reference_runs.items():
        shown = [o for o in nb.cells[-1].outputs if "text/html" in o.get("data", {})]
        assert shown, f"{notebook}: self_check showed no table"
        table = shown[0].data["text/html"]
        assert "<table" in table and f"{name}: all " in table and "public checks pass" in table
        assert not hidden_check_names(name) & set(re.findall(r"<code>(\w+)</code>", table))


# -- self-check ---------------------------------------------------------------------------------

def test_self_check_runs_the_public_checks_only_and_shows_a_readable_table(releases, tmp_path):
    name = "svm"
    folder = copy_release(releases, name, tmp_path)
    report = self_check(name, folder)  # this process is a course checkout: the hidden checks exist here
    shown = {t.name for t in report.results.tests}
    hidden = hidden_check_names(name)
    assert hidden and not shown & hidden
    assert report.results.extra_data["checks"] == "public only" and not report.passed
    page = report._repr_html_()
    for test in report.results.tests:
        assert f"<code>{test.name}</code>" in page
    assert page.count(">failed<") == len(report.results.tests) and "Not implemented yet" in page
    assert "message and hint" in page and "total" in repr(report)
    with pytest.raises(FileNotFoundError, match="No lib/ folder"):
        self_check(name, tmp_path)


def test_each_self_check_starts_fresh_workers_on_a_fresh_copy_of_lib(releases, tmp_path, monkeypatch):
    folder = copy_release(releases, "svm", tmp_path)
    started = []  # (run, worker folder, its copy of lib/linear_svm.py, worker pid)
    original = Sandbox._start

    def recording_start(sandbox):
        original(sandbox)
        copy = sandbox.workdir / "submission" / "lib" / "linear_svm.py"
        if sandbox.jailed:  # the jail copies lib/ into its own tmpfs: seen through the worker's /proc root
            pid = sandbox.process.pid
            worker = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0]
            copy = Path(f"/proc/{worker}/root{copy}")
        started.append((run_number, sandbox.workdir, copy.read_text(), sandbox.process.pid))

    monkeypatch.setattr(Sandbox, "_start", recording_start)
    run_number = 1
    first = self_check("svm", folder)
    shutil.copy(ROOT / "solutions" / "linear_svm.py", folder / "lib" / "linear_svm.py")  # the student's edit
    run_number = 2
    second = self_check("svm", folder)
    assert {run for run, *_ in started} == {1, 2}
    assert len({workdir for _, workdir, _, _ in started}) == len({pid for *_, pid in started}) == len(started)
    assert not any(workdir.exists() for _, workdir, _, _ in started), "a worker's copy outlived its run"
    edited = (ROOT / "solutions" / "linear_svm.py").read_text()
    assert all((text == edited) == (run == 2) for run, _, text, _ in started)
    assert first.results.score < second.results.score


@pytest.mark.slow
def test_self_check_in_a_kernel_sees_an_edit_without_a_restart(releases, tmp_path):
    folder = copy_release(releases, "svm", tmp_path)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "%load_ext autograder.notebook\nfrom autograder.notebook import self_check\nimport json, shutil",
        'first = self_check("svm")\nfirst',
        # The student implements the svm functions and saves the files.
        f"for module in ('linear_svm', 'linear_classifier'):\n"
        f"    shutil.copy({str(ROOT / 'solutions')!r} + f'/{{module}}.py', f'lib/{{module}}.py')",
        'second = self_check("svm")\nsecond',
        "print(json.dumps([[t.status for t in r.results.tests] for r in (first, second)]))",
    )]
    execute(nb, folder)
    first, second = json.loads(outputs(nb.cells[-1], "stream")[0].text)
    assert set(first) == {"failed"} and set(second) == {"passed"}
    tables = [o.data["text/html"] for c in (nb.cells[1], nb.cells[3]) for o in c.outputs
              if "text/html" in o.get("data", {})]
    assert len(tables) == 2 and "fail" in tables[0] and re.search(r"all \d+ public checks pass", tables[1])


# -- the submission packager --------------------------------------------------------------------

def autograder_cli(*args, cwd):
    return run([sys.executable, "-m", "autograder", *args], cwd)


@pytest.mark.slow
def test_package_zips_work_in_progress_and_says_what_is_missing(releases, tmp_path):
    folder = copy_release(releases, "svm", tmp_path)
    (folder / "notes.txt").write_text("my notes")
    (folder / "scratch").mkdir()
    (folder / "scratch" / "big.npy").write_bytes(b"0" * 1000)
    (folder / "lib" / "helpers.py").write_text("def helper():\n    return 1\n")
    completed = autograder_cli("package", "svm", cwd=folder)  # the release's own autograder
    assert completed.returncode == 0, completed.stdout + completed.stderr
    text = completed.stdout
    for function, _ in (stubs_left(folder / "lib" / "linear_svm.py")
                        + stubs_left(folder / "lib" / "linear_classifier.py")):
        assert f"{function} is not implemented yet" in text
    for expected in ("8 of 8 public checks fail", "svm.ipynb is saved without outputs",
                     'still say "YOUR ANSWER HERE"', "notes.txt", "scratch/ (1 file)", "Upload svm_submission.zip"):
        assert expected in text, expected
    with zipfile.ZipFile(folder / "svm_submission.zip") as archive:
        names = set(archive.namelist())
    lib = {f"svm/lib/{p.name}" for p in (folder / "lib").glob("*.py")}
    assert names == {"svm/svm.ipynb", "svm/.gradlab-release"} | lib and "svm/lib/helpers.py" in names


@pytest.mark.parametrize("breakage, message", [
    (lambda f: (f / "svm.ipynb").unlink(), "the notebook svm.ipynb is missing"),
    (lambda f: (f / "lib" / "linear_svm.py").unlink(), "lib/linear_svm.py is missing"),
    (lambda f: (f / "lib" / "vis.py").unlink(), "lib/vis.py is missing"),
    (lambda f: (f / "lib" / "linear_svm.py").write_text("def svm_loss_naive(W, X, y, reg:\n    pass\n"),
     "lib/linear_svm.py is not valid Python"),
    (lambda f: (f / "svm.ipynb").write_text("{not json"), "svm.ipynb is not a readable notebook"),
    (lambda f: (f / "lib" / "huge.py").write_text("x = 1\n" + "#" * (packager.MAX_FILE_BYTES + 1)),
     "lib/huge.py is 20.0 MiB, more than the 4.0 MiB one .py file may have"),  # the grader's reader refuses it
], ids=["no-notebook", "no-own-module", "no-helper", "syntax-error", "broken-notebook", "huge-file"])
def test_package_refuses_what_cannot_be_graded(releases, tmp_path, breakage, message):
    folder = copy_release(releases, "svm", tmp_path)
    breakage(folder)
    report = package("svm", folder, run_public_checks=False)
    assert not report.written and not (folder / "svm_submission.zip").exists()
    assert any(message in problem for problem in report.problems), report.problems
    assert "not packaged" in report.text() and "not packaged" in report._repr_html_()


@pytest.mark.slow
def test_package_exit_status_refused_and_unusable_arguments(releases, tmp_path):
    folder = copy_release(releases, "svm", tmp_path)
    (folder / "lib" / "linear_svm.py").unlink()
    refused = autograder_cli("package", "svm", cwd=folder)
    assert refused.returncode == 1 and "lib/linear_svm.py is missing" in refused.stdout
    for args, message in ((("package", "nope"), "Unknown assignment"),
                          (("package", "softmax"), "holds the svm assignment, not softmax"),
                          (("package", "svm", "--out", "work.tar"), "--out must name a .zip file"),
                          (("package", "svm", "--dir", str(tmp_path / "missing")), "is not a folder"),
                          (("package", "svm", "--dir", str(tmp_path)), "no lib/ folder")):
        completed = autograder_cli(*args, cwd=folder)
        assert completed.returncode == 2 and message in completed.stderr, (args, completed.stderr)
    with pytest.raises(PackagingError, match="no lib/ folder"):
        package("svm", tmp_path)


@pytest.mark.slow
def test_finished_work_packages_cleanly_and_the_zip_grades_in_full(reference_runs, tmp_path):
    folder, nb, _ = reference_runs["svm", "svm.ipynb"]
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = "Kinks: the loss is not differentiable where a margin is exactly zero."
    nbformat.write(nb, folder / "svm.ipynb")  # the student saves the notebook, run, with outputs
    completed = autograder_cli("package", "svm", "--out", str(tmp_path / "upload.zip"), cwd=folder)
    assert completed.returncode == 0, completed.stdout
    assert "Everything is in order" in completed.stdout and "note:" not in completed.stdout
    with zipfile.ZipFile(tmp_path / "upload.zip") as archive:
        archive.extractall(tmp_path / "submitted")
    results = tmp_path / "results.json"
    graded = run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "submitted" / "svm"),
                  "--assignment", "svm", "--out", str(results), "--seed", "1"], ROOT)
    assert graded.returncode == 0, graded.stderr
    data = json.loads(results.read_text())
    assert data["score"] == data["max_score"] > 0


def test_stubs_left_finds_the_stub_raises_only():
    found = stubs_left(ROOT / "lib" / "linear_classifier.py")
    assert [f for f, _ in found] == ["LinearClassifier.train", "LinearClassifier.predict"]
    assert stubs_left(ROOT / "solutions" / "linear_classifier.py") == []


# -- platforms ----------------------------------------------------------------------------------

PROBE_LIB = {
    "__init__.py": "",
    "probe.py": textwrap.dedent("""
        import os
        import time


        def add(a, b):
            print("hello from the student's code", flush=True)
            return a + b


        def hang():
            while True:
                time.sleep(0.01)


        def die():
            os._exit(3)
    """),
}


@pytest.fixture(params=["no-resource", "no-select-on-pipes", "windows-like"])
def portable_platform(request, monkeypatch):
    """The sandbox as on a platform without some POSIX features (never jailed: not Linux as root)."""
    features = {"no-resource": dict(isolation.platform_features(), rlimits=False),
                "no-select-on-pipes": dict(isolation.platform_features(), select_pipes=False),
                "windows-like": WINDOWS_LIKE}[request.param]
    monkeypatch.setattr(isolation, "platform_features", lambda: features)
    if not features["rlimits"]:
        monkeypatch.setattr(isolation, "resource", None)
    monkeypatch.setattr(isolation, "isolation_level", lambda: (isolation.UNJAILED, "simulated platform"))
    return request.param


def test_the_sandbox_degrades_gracefully_without_posix_features(portable_platform, tmp_path):
    for file, text in PROBE_LIB.items():
        (tmp_path / "lib").mkdir(exist_ok=True)
        (tmp_path / "lib" / file).write_text(text)
    with Sandbox(tmp_path, Limits(call_seconds=2, start_seconds=30)) as sandbox:
        assert sandbox.call("probe.add", 2, 3) == 5
        assert sandbox.call("probe.add", 0, 0) == 0  # a round trip later, the drain thread has seen the print
        assert "hello from the student's code" in sandbox.student_output()  # kept apart from the answers
        with pytest.raises(SandboxTimeout):
            sandbox.call("probe.hang")
        assert sandbox.call("probe.add", 1, 1) == 2  # a fresh worker after the timeout
        with pytest.raises(WorkerDied, match="exited with code 3"):
            sandbox.call("probe.die")
        assert sandbox.call("probe.add", 4, 4) == 8


def test_check_and_package_work_without_posix_features(portable_platform, releases, tmp_path):
    folder = copy_release(releases, "svm", tmp_path, reference=True)
    report = self_check("svm", folder)
    assert report.passed, repr(report)
    isolation_line = report.results.extra_data["isolation"]
    if portable_platform != "no-select-on-pipes":
        assert "no rlimits (this platform has no `resource` module)" in isolation_line
    if portable_platform == "windows-like":
        assert "no process group" in isolation_line
    packaged = package("svm", folder)
    assert packaged.written and not any("public checks fail" in w for w in packaged.warnings)


@pytest.mark.slow
def test_the_student_cli_runs_where_fcntl_resource_and_setsid_do_not_exist(releases, tmp_path):
    folder = copy_release(releases, "svm", tmp_path, reference=True)
    windows = textwrap.dedent(f"""
        import os, sys
        sys.modules["fcntl"] = sys.modules["resource"] = None   # `import fcntl` now fails, as on Windows
        del os.setsid
        from autograder.sandbox import isolation
        assert isolation.resource is None and isolation.fcntl is None
        isolation.platform_features = lambda: {WINDOWS_LIKE!r}
        isolation.isolation_level = lambda: (isolation.UNJAILED, "simulated Windows")
        from autograder.cli import main
        sys.exit(main(sys.argv[1:]))
    """)
    check = run([sys.executable, "-c", windows, "check", "svm"], folder)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "All public checks pass." in check.stdout
    packaged = run([sys.executable, "-c", windows, "package", "svm"], folder)
    assert packaged.returncode == 0 and (folder / "svm_submission.zip").is_file(), packaged.stdout + packaged.stderr


# -- the README's walk-through ------------------------------------------------------------------

def walkthrough_commands():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## From a fresh clone to a graded assignment", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@pytest.mark.slow
def test_the_readme_walkthrough_grades_an_assignment_from_a_fresh_clone_in_five_commands(tmp_path):
    commands = walkthrough_commands()
    assert len(commands) == 5
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("a git checkout is needed to list the repository's files")
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    clone = tmp_path / "clone"
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file():
            (clone / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / relative)
    # A virtual environment that sees this machine's packages (nothing to download but the build
    # backend), so that `pip install -e .` of the clone leaves this checkout's install alone.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    env = clean_env(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", VIRTUAL_ENV=str(venv),
                    PIP_DISABLE_PIP_VERSION_CHECK="1")
    for command in commands:
        completed = subprocess.run(["bash", "-c", command], cwd=clone, capture_output=True, text=True, env=env,
                                   timeout=900)
        assert completed.returncode == 0, f"{command}\n{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}"
    results = json.loads((clone / "results.json").read_text())
    assert results["score"] == results["max_score"] > 0
    assert any(t["visibility"] == "after_due_date" for t in results["tests"]), "the grade ran no hidden check"
    installed = subprocess.run([str(venv / "bin" / "python"), "-c", "import autograder; print(autograder.__file__)"],
                               cwd=tmp_path, capture_output=True, text=True, env=env)
    assert installed.stdout.strip() == str(clone / "autograder" / "__init__.py")
