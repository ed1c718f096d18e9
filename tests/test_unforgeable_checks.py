"""Checks that student code cannot satisfy by remembering what it was asked or by inspecting what
it was given (issue 15, deliverable 4: svm, softmax and optimization).

- Gradient checks: a loss that memoizes the points it was asked about and answers every nearby
  point linearly with the dW it claimed passes any finite-difference check around a base point
  it knows. `GradientGuard` (checks/common.py) asks for the loss at one-sided points around a
  base nobody can predict, in the student's worker and in a "blind" one, and fails a loss whose
  values are not those of one function of W.
- Functions handed to kernels (the optimization assignment's f): `TrustedFunction`s whose values
  come from the grader; nothing of their parameters exists in the worker.

The attack cases are tests/attacks/memoizing_loss_forges_gradient_check.py (svm; also graded by
test_attacks.py), tests/attacks/softmax/ and tests/attacks/optimization/; each names its `twin:`
in tests/attacks/twins/, the same submission without the attack, which the attack must not beat.
"""
import ast
import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from autograder.checks import objectives as functions
from autograder.checks.common import CheckFailed, GradientGuard, check_gradient, numerical_gradient_at, random_problem
from autograder.instructor.reference import copy_reference_lib, copy_stub_lib
from autograder.plugin import GradingPlugin
from autograder.sandbox.proxy import Sandbox
from conftest import ROOT
from solutions import linear_svm, softmax

with warnings.catch_warnings():
    # The checks module's `points` marks are registered by the grading plugin, not here.
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    from autograder.checks.optimization import point_argument, trusted, trusted_batch_loss_grad

ATTACKS = ROOT / "tests" / "attacks"
CASES = [("svm", "memoizing_loss_forges_gradient_check.py"),
         ("softmax", "softmax/memoizing_loss_forges_gradient_check.py"),
         ("optimization", "optimization/reads_the_closure_of_f.py")]
SEED = 4242


def fields(path):
    doc = ast.get_docstring(ast.parse(path.read_text()))
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in doc.splitlines()[1:] if ":" in line)}


def make_submission(folder, path):
    """A submission: the reference (or the stubs, `base: stub`) with `path`'s code appended to lib/<module>.py."""
    spec = fields(path)
    (copy_stub_lib if spec.get("base") == "stub" else copy_reference_lib)(folder)
    target = folder / "lib" / f"{spec['module']}.py"
    target.write_text(target.read_text() + "\n\n" + path.read_text())


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """graded(assignment, attack) -> results of the attack, its twin and an honest reference,
    graded in one `grade-all` batch."""
    cache = {}

    def grade(assignment, attack):
        if (assignment, attack) not in cache:
            root = tmp_path_factory.mktemp(assignment)
            path = ATTACKS / attack
            make_submission(root / "attack", path)
            make_submission(root / "twin", ATTACKS / "twins" / f"{fields(path)['twin']}.py")
            copy_reference_lib(root / "honest")
            out = tmp_path_factory.mktemp("out")
            completed = subprocess.run(
                [sys.executable, "-m", "autograder", "grade-all", str(root), "--assignment", assignment, "--csv",
                 str(out / "grades.csv"), "--results-dir", str(out / "results"), "--jobs", "2", "--seed", str(SEED)],
                capture_output=True, text=True, timeout=900, cwd=ROOT)
            assert completed.returncode == 0, completed.stderr[-2000:]
            cache[assignment, attack] = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
        return cache[assignment, attack]
    return grade


@pytest.mark.slow
@pytest.mark.parametrize("assignment, attack", CASES)
def test_an_attack_scores_no_more_than_the_same_submission_without_it(graded, assignment, attack):
    results = graded(assignment, attack)
    attack_score, twin_score = results["attack"]["score"], results["twin"]["score"]
    assert attack_score <= twin_score, (attack_score, twin_score)
    assert results["honest"]["score"] == results["honest"]["max_score"], \
        [t["output"] for t in results["honest"]["tests"] if t["status"] == "failed"]


@pytest.mark.slow
@pytest.mark.parametrize("assignment, attack", CASES[:2])
def test_the_memoizing_loss_is_told_its_values_are_not_one_function(graded, assignment, attack):
    results = graded(assignment, attack)
    failed = {t["name"]: t["output"] for t in results["attack"]["tests"] if t["status"] == "failed"}
    gradient_check = f"{'svm' if assignment == 'svm' else 'softmax'}_loss_naive_gradient"
    assert "its values are not those of one function of W" in failed[gradient_check], failed


# -- GradientGuard, with workers stood in for by objects that record what they are asked --------

class InProcess:
    """A stand-in for a worker: runs `loss` here and records every point it is sent, per request."""

    def __init__(self, loss):
        self.loss = loss
        self.requests = []

    def call(self, target, *args):
        self.requests.append(("call", [args[0].copy()]))
        return self.loss(*args)

    def map(self, target, calls):
        self.requests.append(("map", [c[0].copy() for c in calls]))
        return [self.loss(*c) for c in calls]


def forged_svm_loss():
    """A fresh copy (its own memory, like a fresh worker) of the attack's svm_loss_naive."""
    namespace = {}
    source = (ROOT / "solutions" / "linear_svm.py").read_text()
    exec(compile(source + "\n\n" + (ATTACKS / CASES[0][1]).read_text(), "linear_svm.py", "exec"), namespace)
    return namespace["svm_loss_naive"]


def problem(seed, N=8, D=6, C=4):
    return random_problem(np.random.default_rng(seed), N, D, C)


def test_the_memoizing_loss_fools_a_coordinate_gradient_check():
    # Without the guard the forgery works: the numerical gradient it yields is its own dW.
    W, X, y = problem(0)
    student = InProcess(forged_svm_loss())
    _, dW = student.call("linear_svm.svm_loss_naive", W, X, y, 0.5)
    coords = [np.unravel_index(i, W.shape) for i in range(W.size)]
    numerical = numerical_gradient_at(student, "linear_svm.svm_loss_naive", W, (X, y, 0.5), coords)
    assert np.allclose(numerical, dW.ravel(), rtol=1e-6, atol=1e-9)
    _, true_dW = linear_svm.svm_loss_naive(W, X, y, 0.5)
    assert not np.allclose(numerical, true_dW.ravel(), rtol=1e-2)


@pytest.mark.parametrize("seed", range(10))
def test_the_guard_fails_the_memoizing_loss(seed):
    W, X, y = problem(seed)
    student, blind = InProcess(forged_svm_loss()), InProcess(forged_svm_loss())
    _, dW = student.call("linear_svm.svm_loss_naive", W, X, y, 0.5)
    guard = GradientGuard(blind, np.random.default_rng(seed + 100))
    with pytest.raises(CheckFailed, match="its values are not those of one function of W"):
        check_gradient(student, "linear_svm.svm_loss_naive", W, (X, y, 0.5), dW, "svm_loss_naive", "W (6, 4)",
                       np.random.default_rng(seed), guard=guard)


def coordinate_forger():
    """An svm_loss_naive whose dW lacks its data part, forging only points that differ from a W it
    was asked about in a single entry (a coordinate check's) and honest everywhere else."""
    seen = []

    def loss_fn(W, X, y, reg):
        for W0, loss0, dW0 in seen:
            if np.count_nonzero(W != W0) == 1 and np.max(np.abs(W - W0)) < 1e-3:
                return loss0 + float(np.sum(dW0 * (W - W0))), dW0
        loss, dW = linear_svm.svm_loss_naive(W, X, y, reg)[0], 2 * reg * W
        seen.append((W.copy(), loss, dW))
        return loss, dW
    return loss_fn


def test_a_loss_forging_only_coordinate_points_fails_along_random_directions():
    W, X, y = problem(1)
    student, blind = InProcess(coordinate_forger()), InProcess(coordinate_forger())
    _, dW = student.call("linear_svm.svm_loss_naive", W, X, y, 0.5)
    guard = GradientGuard(blind, np.random.default_rng(2))
    with pytest.raises(CheckFailed, match="along random directions"):
        check_gradient(student, "linear_svm.svm_loss_naive", W, (X, y, 0.5), dW, "svm_loss_naive", "W (6, 4)",
                       np.random.default_rng(3), guard=guard)


HONEST = [(linear_svm.svm_loss_naive, (8, 6, 4), reg) for reg in (0.0, 0.1, 0.2, 0.5)] + \
         [(linear_svm.svm_loss_vectorized, (20, 15, 5), 50.0)] + \
         [(softmax.softmax_loss_vectorized, (8, 6, 4), reg) for reg in (0.0, 0.1, 0.2, 0.5)] + \
         [(softmax.softmax_loss_naive, (20, 15, 5), reg) for reg in (0.0, 50.0)]


@pytest.mark.parametrize("loss, sizes, reg", HONEST, ids=lambda v: getattr(v, "__name__", str(v)))
def test_the_reference_losses_pass_the_guard_for_many_seeds(loss, sizes, reg):
    # The sizes and regs of every gradient check of the svm and softmax checks; the SVM's hinges
    # are the risk (a direction that crosses one within h).
    for seed in range(100):
        W, X, y = problem(seed, *sizes)
        student, blind = InProcess(loss), InProcess(loss)
        guard = GradientGuard(blind, np.random.default_rng(seed + 1000))
        guard.check(student, "loss", W, (X, y, reg), lambda base: loss(base, X, y, reg)[1], "loss", "W")


def test_the_blind_worker_gets_only_one_sided_points_one_per_request_never_the_base():
    W, X, y = problem(3)
    student, blind = InProcess(softmax.softmax_loss_naive), InProcess(softmax.softmax_loss_naive)
    guard = GradientGuard(blind, np.random.default_rng(5))
    gradient_at = lambda base: student.call("loss", base, X, y, 0.1)[1]  # noqa: E731
    guard.check(student, "loss", W, (X, y, 0.1), gradient_at, "loss", "W")
    (_, [base]), (_, main_points) = student.requests[:2]
    assert [kind for kind, _ in blind.requests] == ["call"] * guard.directions
    points = [p for _, [p] in blind.requests]
    assert all(p.shape == W.shape for p in points)
    assert not any(np.array_equal(p, base) or np.array_equal(p, W) for p in points)
    assert float(np.max(np.abs(base - W))) > 100 * guard.h   # the base is not the check's W
    # No two of them are mirror images around the base (which would give it away as their mean).
    for i, p in enumerate(points):
        for q in points[i + 1:]:
            assert float(np.max(np.abs(p + q - 2 * base))) > 0.01 * guard.h
    # They are the main worker's points on one side: the worker that knows the base also got the
    # other side, so that an honest loss's centered differences can be taken.
    assert all(any(np.array_equal(p, m) for m in main_points) for p in points)
    assert all(any(np.allclose(2 * base - p, m, rtol=0, atol=1e-12) for m in main_points) for p in points)


def test_a_gradient_wrong_only_where_a_coordinate_check_did_not_look_fails_along_random_directions():
    W, X, y = problem(4)
    student, blind = InProcess(softmax.softmax_loss_naive), InProcess(softmax.softmax_loss_naive)

    def off_in_one_entry(base):
        dW = softmax.softmax_loss_naive(base, X, y, 0.1)[1].copy()
        dW[-1, -1] += 0.5
        return dW
    guard = GradientGuard(blind, np.random.default_rng(6))
    with pytest.raises(CheckFailed, match="along random directions") as failure:
        guard.check(student, "loss", W, (X, y, 0.1), off_in_one_entry, "softmax_loss_naive", "W (6, 4)")
    assert "not those of one function" not in str(failure.value)


def test_the_guard_draws_are_secret_when_grading_and_fresh_for_the_students_own_check(tmp_path):
    grading = GradingPlugin(tmp_path, seed=99, include_hidden=True)
    first, again = grading.guard_rng("test_a").standard_normal(4), grading.guard_rng("test_a").standard_normal(4)
    assert np.array_equal(first, again)   # a regrade repeats the grading exactly
    assert not np.array_equal(first, grading.guard_rng("test_b").standard_normal(4))
    assert not np.array_equal(first, GradingPlugin(tmp_path, seed=98, include_hidden=True)
                              .guard_rng("test_a").standard_normal(4))
    student_side = GradingPlugin(tmp_path, seed=None, include_hidden=False)
    assert not np.array_equal(student_side.guard_rng("test_a").standard_normal(4),
                              student_side.guard_rng("test_a").standard_normal(4))


# -- the functions handed to the optimization kernels ----------------------------------------

def test_a_trusted_function_checks_each_point_before_computing():
    A, b = np.eye(6), np.arange(6.0)
    f = trusted(functions.quadratic(A, b), (3, 2), "loss_fn")
    x = np.linspace(-1, 1, 6).reshape(3, 2)
    assert f(x) == pytest.approx(0.5 * x.ravel() @ x.ravel() - b @ x.ravel())
    for wrong, message in ((np.zeros((2, 3)), "expected W of shape (3, 2); got an array of shape (2, 3)"),
                           (np.full((3, 2), np.nan), "expected finite values in W; got 6 nan/inf entries"),
                           (np.array([["a", "b"]] * 3), "expected W as a numpy array of numbers"),
                           ([[0.0, 0.0]] * 3, "expected W as a numpy array of numbers")):
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            f(wrong)
    assert point_argument(2.5, (), "x").shape == ()


def test_a_trusted_batch_loss_checks_the_batch():
    f = trusted_batch_loss_grad(3, 0.01, 4)
    W, X = np.zeros((4, 3)), np.ones((5, 4))
    loss, dW = f(W, X, np.array([0, 1, 2, 0, 1]))
    assert dW.shape == (4, 3) and loss == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"labels in \[0, 3\)"):
        f(W, X, np.array([0, 1, 2, 3, 1]))
    with pytest.raises(ValueError, match=r"expected y_batch as an integer array of shape \(5,\)"):
        f(W, X, np.zeros(5))


PEEK = '''
import gc

import numpy as np


def peek(f, x):
    """f's value at x, what f exposes, and every float array this process holds besides x."""
    exposed = [name for name in ("__closure__", "__code__", "__defaults__", "__globals__", "__wrapped__",
                                 "__self__", "__func__", "__dict__") if hasattr(f, name)]
    arrays = [o for o in gc.get_objects() if isinstance(o, np.ndarray) and o.dtype.kind == "f" and o is not x]
    return f(x), exposed, arrays
'''


def test_a_kernel_holding_a_trusted_function_finds_nothing_of_its_parameters(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("")
    (tmp_path / "lib" / "peek.py").write_text(PEEK)
    rng = np.random.default_rng(8)
    A, b = np.diag(rng.uniform(0.5, 2.0, 4)), rng.standard_normal(4)
    x = rng.standard_normal(4)
    with Sandbox(tmp_path) as sandbox:
        value, exposed, arrays = sandbox.call("peek.peek", trusted(functions.quadratic(A, b), (4,), "loss_fn"), x)
    assert value == pytest.approx(functions.quadratic(A, b)(x))
    assert exposed == []
    secrets = [A, b, np.diag(A)]
    assert not any(a.shape == s.shape and np.allclose(a, s) for a in arrays for s in secrets)
