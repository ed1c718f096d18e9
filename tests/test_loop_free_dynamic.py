"""The dynamic loop-free check: lines of the student's code that run in one call, counted in the
worker for N = 10, 20 and 40 examples here (N0, 2 N0, 4 N0 of unpredictable shapes in grading), must not change with N
(Sandbox.line_events, checks.common.check_lines_constant); and every loop-free attack of tests/attacks/ scores no more
than the plain naive-as-vectorized submission."""
import ast
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from autograder.checks.common import CheckFailed, check_lines_constant, check_loop_free, random_problem, traced_problems
from autograder.instructor.reference import copy_reference_lib
from autograder.sandbox.proxy import Sandbox
from conftest import ROOT

TARGET = "linear_svm.svm_loss_vectorized"
TRACED_SIZES = (10, 20, 40)


def submission(tmp_path, extra="", files=()):
    """The reference lib with `extra` appended to lib/linear_svm.py and `files` {name: source} added."""
    folder = copy_reference_lib(tmp_path / "student")
    module = folder / "lib" / "linear_svm.py"
    module.write_text(module.read_text() + "\n\n" + textwrap.dedent(extra))
    for name, source in dict(files).items():
        (folder / "lib" / name).write_text(textwrap.dedent(source))
    return folder


def problems():
    rng = np.random.default_rng(5)
    return [(*random_problem(rng, n, 6, 4), 0.1) for n in TRACED_SIZES]


def line_events(folder, target=TARGET):
    with Sandbox(folder) as sandbox:
        return sandbox.line_events(target, problems())


def test_the_reference_runs_the_same_lines_for_every_n(tmp_path):
    folder = submission(tmp_path)
    rows = line_events(folder)
    assert len({lines for lines, _, _ in rows}) == 1 and rows[0][0] > 0, rows
    assert all(seen and intact for _, seen, intact in rows), rows
    with Sandbox(folder) as sandbox:
        check_lines_constant(sandbox, TARGET, problems(), TRACED_SIZES)


def test_only_the_students_own_lines_count_not_numpys_or_the_standard_librarys(tmp_path):
    folder = submission(tmp_path, """
        import textwrap as _textwrap

        def three_lines(W, X, y, reg):
            scores = np.linalg.norm(X @ W, axis=1) + np.pad(X, 1).sum()
            _textwrap.dedent("  a\\n  b")
            return float(scores.sum()), W
        """)
    assert [lines for lines, _, _ in line_events(folder, "linear_svm.three_lines")] == [3, 3, 3]


LOOPS_HOWEVER_REACHED = {
    "rebound to the naive loss": "svm_loss_vectorized = svm_loss_naive\n",
    "a look-up in globals()": """
        def svm_loss_vectorized(W, X, y, reg):
            return globals()["svm_loss_" + "naive"](W, X, y, reg)
        """,
    "a loop compiled from a string": """
        def svm_loss_vectorized(W, X, y, reg):
            namespace = {}
            exec("def rows(X):\\n    for row in X:\\n        pass\\n", namespace)
            namespace["rows"](X)
            return 0.0, W
        """,
    "a loop in the student's own helper module": """
        from .helpers import per_row

        def svm_loss_vectorized(W, X, y, reg):
            per_row(X)
            return 0.0, W
        """,
}


@pytest.mark.parametrize("case", sorted(LOOPS_HOWEVER_REACHED))
def test_a_loop_over_the_examples_however_it_is_reached_makes_the_count_grow(tmp_path, case):
    folder = submission(tmp_path, LOOPS_HOWEVER_REACHED[case],
                        {"helpers.py": "def per_row(X):\n    for row in X:\n        row.sum()\n"})
    lines = [count for count, _, _ in line_events(folder)]
    # At least one line runs per example in every loop above.
    assert all(b - a >= n_b - n_a for a, b, n_a, n_b in zip(lines, lines[1:], TRACED_SIZES, TRACED_SIZES[1:])), lines
    with Sandbox(folder) as sandbox, pytest.raises(CheckFailed) as failure:
        check_lines_constant(sandbox, TARGET, problems(), TRACED_SIZES)
    message = str(failure.value)
    assert f"N = 10: {lines[0]} lines ran; N = 20: {lines[1]} lines ran; N = 40: {lines[2]} lines ran" in message
    assert "a loop over the examples runs" in message and "\nHint: " in message


def test_a_loop_that_no_source_shows_is_caught_by_the_count(tmp_path):
    """list() drives an iterator class once per example: no loop statement anywhere, so the
    static check passes it, but the iterator's lines run N times."""
    folder = submission(tmp_path, """
        class _Rows:
            def __init__(self, X):
                self.X, self.i = X, -1

            def __iter__(self):
                return self

            def __next__(self):
                self.i += 1
                if self.i == len(self.X):
                    raise StopIteration
                return self.X[self.i].sum()

        def svm_loss_vectorized(W, X, y, reg):
            list(_Rows(X))
            return 0.0, W
        """)
    check_loop_free(folder / "lib", "linear_svm", "svm_loss_vectorized")
    with Sandbox(folder) as sandbox, pytest.raises(CheckFailed, match="a loop over the examples runs"):
        check_lines_constant(sandbox, TARGET, problems(), TRACED_SIZES)


def test_tracing_switched_off_during_the_call_fails(tmp_path):
    folder = submission(tmp_path, """
        import sys as _interpreter

        def svm_loss_vectorized(W, X, y, reg):
            _interpreter.settrace(None)
            return svm_loss_naive(W, X, y, reg)
        """)
    assert [intact for _, _, intact in line_events(folder)] == [False, False, False]
    with Sandbox(folder) as sandbox, pytest.raises(CheckFailed, match="tracing was switched off during the call"):
        check_lines_constant(sandbox, TARGET, problems(), TRACED_SIZES)


def test_a_target_whose_own_code_never_runs_cannot_be_traced(tmp_path):
    folder = submission(tmp_path, "import functools\nsvm_loss_vectorized = functools.partial(svm_loss_naive)\n")
    assert [seen for _, seen, _ in line_events(folder)] == [False, False, False]
    with Sandbox(folder) as sandbox, pytest.raises(CheckFailed, match="could not be traced"):
        check_lines_constant(sandbox, TARGET, problems(), TRACED_SIZES)


def test_code_that_restores_the_tracer_hides_from_the_count_so_the_static_rules_forbid_it(tmp_path):
    """The honest caveat: the count runs in the student's process, so code that reaches the
    tracer can pause it unseen. The static check is what stops such code."""
    folder = submission(tmp_path, """
        import sys as _interpreter

        def svm_loss_vectorized(W, X, y, reg):
            tracer = _interpreter.gettrace()
            _interpreter.settrace(None)
            try:
                return svm_loss_naive(W, X, y, reg)
            finally:
                _interpreter.settrace(tracer)
        """)
    assert len({lines for lines, _, _ in line_events(folder)}) == 1
    with pytest.raises(CheckFailed, match="a use of sys.settrace in svm_loss_vectorized"):
        check_loop_free(folder / "lib", "linear_svm", "svm_loss_vectorized")


def test_the_traced_inputs_of_grading_cannot_be_told_by_their_shapes():
    """Would a submission that skips its loop for the traced calls' shapes know them in advance? The
    shapes come from the guard's generator: different for every grading seed."""
    shapes = set()
    for seed in range(20):
        problems, sizes = traced_problems(np.random.default_rng(seed), 0.1)
        assert sizes[1] == 2 * sizes[0] and sizes[2] == 4 * sizes[0]
        assert [X.shape[0] for _, X, _, _ in problems] == list(sizes)
        shapes.add(tuple(W.shape for W, _, _, _ in problems) + sizes)
    assert len(shapes) >= 15, shapes


# -- graded: every loop-free attack against the plain naive-as-vectorized submission -----------

ATTACKS = sorted((ROOT / "tests" / "attacks").glob("loop_free_*.py"))


@pytest.mark.slow
def test_every_loop_free_attack_scores_no_more_than_the_plain_naive_submission(tmp_path):
    root = tmp_path / "class"
    plain = copy_reference_lib(root / "plain-naive")
    module = plain / "lib" / "linear_svm.py"
    module.write_text(module.read_text() + "\n\n" + (ROOT / "tests" / "known_bugs" / "svm" / "vectorized_with_loop.py")
                      .read_text())
    copy_reference_lib(root / "honest")
    expected = {}
    for path in ATTACKS:
        code = path.read_text()
        fields = dict(line.split(":", 1) for line in ast.get_docstring(ast.parse(code)).splitlines() if ": " in line)
        folder = copy_reference_lib(root / path.stem)
        if fields.get("layout", "").strip() == "yes":
            namespace = {}
            exec(compile(code, str(path), "exec"), namespace)
            namespace["arrange"](folder / "lib", {"course_root": ROOT, "class_root": root})
        else:
            target = folder / "lib" / f"{fields['module'].strip()}.py"
            target.write_text(target.read_text() + "\n\n" + code)
        expected[path.stem] = fields.get("expect", "").strip()
    out = tmp_path / "out"
    completed = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(root), "--assignment", "svm",
                                "--csv", str(out / "grades.csv"), "--results-dir", str(out / "results"),
                                "--jobs", "2", "--seed", "5"], capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr[-2000:]
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    assert results["honest"]["score"] == results["honest"]["max_score"]
    ceiling = results["plain-naive"]["score"]
    assert ceiling < results["plain-naive"]["max_score"]
    for name, expect in expected.items():
        r = results[name]
        outputs = [r.get("output", "")] + [t["output"] for t in r["tests"] if t["status"] == "failed"]
        assert r["score"] <= ceiling, (name, r["score"], ceiling, outputs)
        assert not expect or any(expect in o for o in outputs), (name, outputs)
