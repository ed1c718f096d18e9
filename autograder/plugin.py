"""The pytest plugin that turns an assignment's checks module into graded results.

Checks are ordinary pytest tests (autograder/checks/<assignment>.py) with markers:

    @pytest.mark.points(2)                       # what the check is worth (default 1)
    @pytest.mark.visibility("after_due_date")    # Gradescope visibility (default: "visible" for
                                                 # public checks, "after_due_date" for hidden)

and these fixtures:

    student        the Sandbox running the submission's lib/ (call, new, map, time)
    student_lib    a private copy of the files the worker got of lib/, for reading source
                   (static checks only; never the student's folder, where a link could lead)
    reference      the reference modules (solutions.*); hidden checks only
    reference_sandbox  a separate worker running the reference lib/ (for timing); hidden only
    gradient_guard the consistency guard of gradient checks (checks/common.py GradientGuard): a
                   second, "blind" worker on the submission, started on first use and shared by
                   the session, and a generator the student cannot predict
    hidden_rng     a numpy Generator seeded by the course secret and the check's name
    public_rng     a numpy Generator seeded by the check's name alone (same for everyone)
    note           note(text) adds a line to the check's output, passed or failed

A check is hidden when it sits between `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS`;
`autograder check` (student side) runs only the others, and releases do not contain the hidden
ones at all. A check earns its points only when it passes; its output is the failure message,
or "Verified: <first paragraph of its docstring>".
"""
import inspect
import os
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .checks.common import GradientGuard
from .markers import BEGIN_HIDDEN, END_HIDDEN, in_regions, regions
from .results import VISIBILITIES, TestResult
from .sandbox.proxy import Limits, Sandbox, SandboxError
from .sandbox.submission import copy_manifest, scan_submission


class GradingPlugin:
    def __init__(self, submission_dir, seed, include_hidden, reference=None, reference_dir=None,
                 limits=Limits(), unavailable=None, manifest=None):
        """`manifest`: the scan of the submission's lib/ (sandbox.submission), made when needed
        if not given."""
        self.submission_dir = Path(submission_dir)
        self.manifest = manifest
        self.seed = seed
        self.include_hidden = include_hidden
        self._reference = reference
        self._reference_dir = reference_dir
        self.unavailable = unavailable  # a reason to give every check zero without running it
        self.limits = limits
        self.results = []
        self._notes = {}
        self._sandbox = None

    # -- fixtures -------------------------------------------------------------------------
    @pytest.fixture(scope="session")
    def student(self) -> Iterator[Sandbox]:
        self._sandbox = Sandbox(self.submission_dir, self.limits, manifest=self.manifest)
        self.manifest = self._sandbox.manifest
        yield self._sandbox
        self._sandbox.close()

    @pytest.fixture(scope="session")
    def student_lib(self) -> Iterator[Path]:
        if self.manifest is None:
            self.manifest = scan_submission(self.submission_dir / "lib")
        with tempfile.TemporaryDirectory(prefix="gradlab-source-") as folder:
            copy_manifest(self.submission_dir / "lib", self.manifest, Path(folder) / "lib")
            yield Path(folder) / "lib"

    @pytest.fixture(scope="session")
    def reference(self) -> Any:
        if self._reference is None:
            raise RuntimeError("the reference solution is only available to hidden checks while grading")
        return self._reference

    @pytest.fixture(scope="session")
    def reference_sandbox(self) -> Iterator["ReferenceTimer"]:
        if self._reference_dir is None:
            raise RuntimeError("the reference worker is only available to hidden checks while grading")
        with Sandbox(self._reference_dir, self.limits) as sandbox:
            yield ReferenceTimer(sandbox)

    @pytest.fixture(scope="session")
    def blind_student(self, student: Sandbox) -> Iterator[Sandbox]:
        # Gradient checks send this worker only the one-sided points of their guard: it never
        # sees a check's base point nor any other call, so it cannot relate them to one. Its
        # process starts at the first guard, which runs only once a gradient has checked out
        # (never for a submission of stubs: a batch pays for it only where it is needed).
        with Sandbox(self.submission_dir, self.limits, manifest=student.manifest) as sandbox:
            yield sandbox

    @pytest.fixture
    def gradient_guard(self, request: pytest.FixtureRequest, blind_student: Sandbox) -> GradientGuard:
        return GradientGuard(blind_student, self.guard_rng(request.node.name))

    def guard_rng(self, check_name):
        """The generator of the gradient guard's jitter and directions in the check `check_name`."""
        if self.seed is None:
            # `autograder check`: the public checks' inputs are the same for everyone, so the
            # guard's draws come from fresh entropy.
            return np.random.default_rng()
        # Grading: unknown without the course secret, the same again for a regrade.
        return np.random.default_rng([self.seed, GUARD_STREAM, zlib.crc32(check_name.encode())])

    @pytest.fixture
    def hidden_rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(request.node.name.encode())])

    @pytest.fixture
    def public_rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        return np.random.default_rng(zlib.crc32(request.node.name.encode()))

    @pytest.fixture
    def note(self, request: pytest.FixtureRequest) -> Callable[[str], None]:
        lines = self._notes.setdefault(request.node.nodeid, [])
        return lines.append

    # -- collection -----------------------------------------------------------------------
    def pytest_configure(self, config):
        # Only the exception's message reaches the student (failure_message); formatting any
        # traceback, even a native one, cost more than the check itself on a submission of stubs.
        config.option.tbstyle = "no"
        config.addinivalue_line("markers", "points(n): points the check is worth")
        config.addinivalue_line("markers", "visibility(v): Gradescope visibility of the result")

    def pytest_collection_modifyitems(self, session, config, items):
        hidden_spans = {}
        keep, dropped = [], []
        for item in items:
            path = Path(item.path)
            if path not in hidden_spans:
                hidden_spans[path] = regions(path.read_text().splitlines(), BEGIN_HIDDEN, END_HIDDEN, str(path))
            # The first line of the check, its first decorator included (what inspect.getsourcelines
            # gives, without tokenizing the module again for every check).
            first_line = item.function.__code__.co_firstlineno
            item.gradlab_hidden = in_regions(first_line, hidden_spans[path])
            (keep if self.include_hidden or not item.gradlab_hidden else dropped).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        if self.unavailable:
            raise AssertionError(self.unavailable)

    # -- reports --------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        # One result per check: from the call phase, or from setup when setup failed.
        if call.when == "call" or (call.when == "setup" and report.failed):
            self.results.append(self._result(item, call))

    def _result(self, item, call):
        points_marker = item.get_closest_marker("points")
        points = float(points_marker.args[0]) if points_marker else 1.0
        visibility_marker = item.get_closest_marker("visibility")
        visibility = (visibility_marker.args[0] if visibility_marker
                      else "after_due_date" if item.gradlab_hidden else "visible")
        if visibility not in VISIBILITIES:
            raise ValueError(f"{item.name}: visibility {visibility!r} is not one of {VISIBILITIES}")
        notes = self._notes.get(item.nodeid, [])
        if call.excinfo is None:
            score, message = points, "Verified: " + _summary(item.function)
        else:
            score, message = 0.0, failure_message(call.excinfo.value)
        output = "\n".join([message] + notes)
        name = item.name[len("test_"):] if item.name.startswith("test_") else item.name
        return TestResult(name, score, points, output, visibility)


class ReferenceTimer:
    """The reference worker, for timing only; its timings are kept for the whole grader process.

    Speed is reported, never graded, and the reference's time for the same shapes does not
    change from student to student: a class graded in one process starts its worker once.
    """

    _seconds = {}

    def __init__(self, sandbox):
        self.sandbox = sandbox

    def time(self, target, *args, repeat=5):
        key = (target, repeat, _signature(args))
        if key not in self._seconds:
            self._seconds[key] = self.sandbox.time(target, *args, repeat=repeat)
        return self._seconds[key]


def _signature(value):
    """A hashable description of arguments: arrays by shape and dtype, containers element-wise."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__,) + tuple(_signature(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple((k, _signature(v)) for k, v in sorted(value.items()))
    return value


def _summary(function):
    doc = inspect.getdoc(function) or function.__name__
    return " ".join(doc.split("\n\n")[0].split())


def failure_message(exc):
    """What a student reads when a check fails."""
    if isinstance(exc, (AssertionError, SandboxError)):
        return str(exc).strip() or "The check failed without a message."
    return (f"The check itself stopped with {type(exc).__name__}: {exc}. This is a problem in the "
            "grader, not necessarily in your code; please tell your instructor.")


def run_pytest(checks_file, plugin):
    """Run one checks module under `plugin`; return the plugin's results and the wall time."""
    start = time.perf_counter()
    args = [str(checks_file), "--noconftest", "--rootdir", str(Path(checks_file).parent), "-c", str(_EMPTY_INI),
            "--import-mode=importlib", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    for name in _UNUSED_PLUGINS:
        args += ["-p", f"no:{name}"]
    # Third-party pytest plugins installed on the machine (some take seconds to import) have no
    # business in grading: only this plugin runs.
    autoload = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        code = pytest.main(args, plugins=[plugin])
    finally:
        if autoload is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = autoload
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not plugin.results:
        raise RuntimeError(f"pytest could not run the checks in {checks_file} (exit code {int(code)}); "
                           f"run `pytest {checks_file}` to see why.")
    return plugin.results, time.perf_counter() - start


_EMPTY_INI = Path(__file__).parent / "checks" / "pytest.ini"

# Keeps the gradient guard's draws apart from hidden_rng's for the same seed and check.
GUARD_STREAM = zlib.crc32(b"gradient guard")

# pytest's plugins that grading does not use. `unraisableexception` and `threadexception` run
# gc.collect() several times per session, which was the largest fixed cost of grading a student
# (about 0.1 s of 0.13 s per session, benchmarks/README.md); `terminal` would print the session.
_UNUSED_PLUGINS = ("cacheprovider", "randomly", "terminal", "unraisableexception", "threadexception", "junitxml",
                   "pastebin", "doctest", "legacypath", "stepwise", "setuponly", "setupplan", "debugging",
                   "unittest")
