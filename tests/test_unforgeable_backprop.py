"""The backprop assignment's gradient checks cannot be forged by code that knows the base point.

Each tests/attacks/backprop/*.py is a wrong gradient (the part before `# -- forgery --`) plus a
forgery that answers the finite differences' perturbed points with the linearization the wrong
gradient claims: by remembering the inputs it has seen, or by replacing the grader's routines in
the worker. Both variants are graded, beside the reference, in one batch; the forgery must gain
nothing, and a check must say why it failed (`expect:`). The guard itself (checks/backprop.py,
check_blind_consistency) is tested on its own below, with sandboxes simulated in this process.
"""
import ast
import json
import subprocess
import sys

import numpy as np
import pytest

from autograder.checks import backprop as checks
from autograder.checks.common import CheckFailed
from autograder.instructor.reference import copy_reference_lib
from conftest import ROOT

ATTACKS_DIR = ROOT / "tests" / "attacks" / "backprop"
FORGERY = "# -- forgery --"
SEED = 2027


def load_attacks():
    attacks = {}
    for path in sorted(ATTACKS_DIR.glob("*.py")):
        code = path.read_text()
        doc = ast.get_docstring(ast.parse(code))
        fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in doc.splitlines()[1:] if ":" in line)}
        assert FORGERY in code, f"{path.name} has no '{FORGERY}' line between the wrong code and its forgery"
        attacks[path.stem] = dict(fields, code=code, plain=code.split(FORGERY)[0])
    return attacks


ATTACKS = load_attacks()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """{student: results} for the reference, and each attack with ("forged-") and without ("plain-") its forgery."""
    root = tmp_path_factory.mktemp("class")
    copy_reference_lib(root / "reference")
    for name, attack in ATTACKS.items():
        for variant, code in (("plain", attack["plain"]), ("forged", attack["code"])):
            folder = copy_reference_lib(root / f"{variant}-{name}")
            target = folder / "lib" / f"{attack['module']}.py"
            target.write_text(target.read_text() + "\n\n" + code)
    out = tmp_path_factory.mktemp("out")
    completed = subprocess.run(
        [sys.executable, "-m", "autograder", "grade-all", str(root), "--assignment", "backprop", "--csv",
         str(out / "grades.csv"), "--results-dir", str(out / "results"), "--jobs", "2", "--seed", str(SEED)],
        capture_output=True, text=True, timeout=1500, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}


def failed_outputs(results):
    return {t["name"]: t["output"] for t in results["tests"] if t["status"] != "passed"}


@pytest.mark.slow
def test_the_reference_keeps_full_marks_beside_the_forgers(graded):
    assert failed_outputs(graded["reference"]) == {}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_a_forgery_gains_nothing_and_the_guard_says_why(graded, name):
    plain, forged = graded[f"plain-{name}"], graded[f"forged-{name}"]
    assert plain["score"] < plain["max_score"], "the code under the forgery should be wrong"
    assert forged["score"] <= plain["score"], (failed_outputs(plain).keys(), failed_outputs(forged).keys())
    expect = ATTACKS[name]["expect"]
    assert any(expect in output for output in failed_outputs(forged).values()), failed_outputs(forged)
    # Without the forgery the ordinary gradient check catches the wrong gradient: the guard never
    # has to speak for honest code.
    assert not any(expect in output for output in failed_outputs(plain).values()), failed_outputs(plain)


# -- the guard on its own ----------------------------------------------------------------------------

class SimulatedSandbox:
    """A stand-in for a worker running relu_forward/relu_backward (`backward` may be a wrong one), in
    this process; it records every array it is sent."""

    def __init__(self, backward=lambda x, dout: dout * (x > 0), forward=lambda x: np.maximum(0, x)):
        self.forward, self.backward, self.received = forward, backward, []

    def run(self, routine, *args):
        layer = args[0]
        assert layer == "relu"
        if routine == "backprop.layer_forward_backward":
            (x,), dout = args[1], args[2]
            self.received += [x, dout]
            return self.forward(x), self.backward(x, dout), [x], dout
        assert routine == "backprop.layer_outputs"
        cases = args[1]
        self.received += [a for case in cases for a in case]
        return self.outputs([case[0] for case in cases])

    def outputs(self, points):
        return [self.forward(p) for p in points]


class SimulatedGuards:
    """What a check's `guards` offer the guards of checks/backprop.py, around a simulated blind sandbox."""

    def __init__(self, sandbox, seed=5):
        self.sandbox = sandbox
        self.rng = np.random.default_rng(seed)

    def once(self, key, guard):
        guard()

    def blind(self):
        return self.sandbox


class CentroidForger(SimulatedSandbox):
    """Answers each batch of points with the linearization, around the points' mean, of a relu_backward
    without the mask (the identity): the best a worker can do that has not seen the base point."""

    def outputs(self, points):
        center = np.mean(points, axis=0)
        return [np.maximum(0, center) + (p - center) for p in points]


def base_away_from_zero(shape=(4, 5)):
    return checks.away_from_zero(np.random.default_rng(5), shape)


def test_the_guard_passes_an_honest_layer_and_the_blind_worker_never_gets_the_base_point():
    main, blind = SimulatedSandbox(), SimulatedSandbox()
    base = base_away_from_zero()
    checks.guard_layer(main, SimulatedGuards(blind), "relu", [base], "x (4, 5)")
    (x1, dout), sent = main.received, blind.received
    assert len(sent) == checks.GUARD_DIRECTIONS
    for point in sent:
        # Every point differs from the base in every entry, by about the step, and is no base itself.
        assert np.all(point != x1) and np.max(np.abs(point - x1)) < 1e-5
    assert not any(np.array_equal(point, dout) or point.shape != x1.shape for point in sent)


def test_the_guard_catches_a_wrong_gradient_linearized_around_the_blind_workers_best_guess():
    wrong = SimulatedSandbox(backward=lambda x, dout: dout.copy())
    with pytest.raises(CheckFailed, match="in a second, fresh worker"):
        checks.guard_layer(wrong, SimulatedGuards(CentroidForger()), "relu", [base_away_from_zero()], "x (4, 5)")


def test_the_guard_catches_a_forward_that_differs_in_the_blind_worker():
    """The main worker answers with the linearization of a wrong backward; the blind worker, which
    cannot do the same, gives the real relu."""
    wrong = SimulatedSandbox(backward=lambda x, dout: dout.copy())
    with pytest.raises(CheckFailed, match="relu_backward: your gradient disagrees with your own relu_forward"):
        checks.guard_layer(wrong, SimulatedGuards(SimulatedSandbox()), "relu", [base_away_from_zero()], "x (4, 5)")


def test_the_guards_tolerance_leaves_room_for_one_sided_differences_of_smooth_functions():
    """softmax's loss has curvature: its one-sided differences along the guard's step stay far inside
    the tolerance (the reference, computed here)."""
    rng = np.random.default_rng(8)
    x, y = checks.random_scores(rng, 8, 5, 3.0)

    def loss_and_dx(scores):
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        dx = probs.copy()
        dx[np.arange(len(y)), y] -= 1
        return -np.log(probs[np.arange(len(y)), y]).mean(), dx / len(y)
    loss, dx = loss_and_dx(x)
    directions = checks.guard_directions(rng, [x])
    step = checks.guard_step([x])
    values = [loss_and_dx(p)[0] for (p,) in checks.guard_points([x], directions, step)]
    checks.check_blind_consistency("softmax_loss", "loss", "x (8, 5)", loss, [dx], directions, step, values,
                                   tol=checks.GUARD_TOLERANCE / 100)
