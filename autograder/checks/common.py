"""What every checks module needs: validate what came back, compare, gradient-check, explain.

Every failure raises `CheckFailed` with a message a student can act on: which function, what
was compared, on which shapes, the relative error against the tolerance, and a hint when one
applies. Values from the worker are already plain numbers and numpy arrays (wire.py); these
helpers check that they are the numbers the contract asks for.
"""
import functools
import math
from contextlib import contextmanager

import numpy as np

from ..static_loops import LoopFinder


class CheckFailed(AssertionError):
    """A check's verdict, with the message the student reads."""


def describe_shapes(**arrays):
    """'W (5, 3), X (4, 5)' for the keyword arrays given (non-arrays as name=value)."""
    parts = []
    for name, value in arrays.items():
        if isinstance(value, np.ndarray):
            parts.append(f"{name} {value.shape} {value.dtype}")
        else:
            parts.append(f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}")
    return ", ".join(parts)


def expect_number(value, fn, what="the loss"):
    """A finite real number from the student's `value` (float, int or 0-d/1-element array)."""
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CheckFailed(f"{fn} should return {what} as a single number; it returned {_kind(value)}.")
    if not math.isfinite(value):
        raise CheckFailed(f"{fn} returned {value} as {what}; expected a finite number. Look for "
                          "overflow (exp of a large score) or a log of zero.")
    return float(value)


def expect_array(value, shape, fn, what, kinds="f"):
    """`value` as an ndarray of `shape` with a dtype kind in `kinds`, all finite."""
    if not isinstance(value, np.ndarray):
        raise CheckFailed(f"{fn} should return {what} as a numpy array of shape {shape}; "
                          f"it returned {_kind(value)}.")
    if value.shape != tuple(shape):
        raise CheckFailed(f"{fn} returned {what} of shape {value.shape}; expected shape {tuple(shape)}.")
    if value.dtype.kind not in kinds:
        expected = {"f": "floating point", "iu": "integer", "fiu": "numeric"}.get(kinds, kinds)
        raise CheckFailed(f"{fn} returned {what} with dtype {value.dtype}; expected a {expected} dtype.")
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
        raise CheckFailed(f"{fn} returned {what} with {bad} nan/inf entries; expected finite values.")
    return value


def expect_loss_and_grad(value, W, fn):
    """(loss float, dW array shaped like W) from a `(loss, dW)` return value."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise CheckFailed(f"{fn} should return a tuple (loss, dW); it returned {_kind(value)}.")
    return expect_number(value[0], fn), expect_array(value[1], W.shape, fn, "dW")


def _kind(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"{type(value).__name__} {value!r}"[:120]


def scalar_error(actual, expected):
    return abs(actual - expected) / max(abs(actual), abs(expected), 1e-12)


def array_error(actual, expected):
    """max |actual - expected| / max |value|: relative to the array's scale, robust near zero."""
    scale = max(float(np.max(np.abs(expected), initial=0.0)), float(np.max(np.abs(actual), initial=0.0)), 1e-12)
    return float(np.max(np.abs(actual.astype(np.float64) - expected), initial=0.0)) / scale


def tolerance(*arrays):
    """Comparison tolerance: float32 arithmetic carries ~1e-7 relative round-off per operation."""
    return 1e-4 if any(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in arrays) else 1e-7


def check_close(actual, expected, fn, what, on, tol, hint=""):
    """Raise CheckFailed unless `actual` matches `expected` within relative `tol`.

    `hint` is a string, or a function returning one that is called only on failure (for hints
    that are costly to work out, such as trying known mistakes).
    """
    if isinstance(expected, np.ndarray):
        error = array_error(actual, expected)
        measure = "max |difference| / max |value|"
    else:
        error = scalar_error(actual, expected)
        measure = "relative error"
    if not error <= tol:
        message = (f"{fn}: {what} does not match the expected value on {on}: {measure} "
                   f"{error:.2e} (tolerance {tol:.0e}).")
        if not isinstance(expected, np.ndarray):
            message += f" Expected {expected:.6g}, got {actual:.6g}."
        hint = hint() if callable(hint) else hint
        raise CheckFailed(message + (f"\nHint: {hint}" if hint else ""))
    return error


def numerical_gradient_at(student, target, W, args, coords, h=1e-5):
    """Centered differences of the student's own loss, `target(W, *args)[0]`, at `coords` of W.

    All 2 * len(coords) perturbed evaluations go to the worker in one round trip. W is float64.
    """
    calls = []
    for index in coords:
        for sign in (1, -1):
            shifted = W.copy()
            shifted[index] += sign * h
            calls.append((shifted,) + tuple(args))
    losses = [loss_value(v, target) for v in student.map(target, calls)]
    return np.array([(losses[2 * k] - losses[2 * k + 1]) / (2 * h) for k in range(len(coords))])


def loss_value(value, target):
    """The loss in a value of the student's `target`: the first item of a tuple or list, or the value."""
    return expect_number(value[0] if isinstance(value, (tuple, list)) and value else value, target)


def check_gradient(student, target, W, args, analytic, fn, on, rng, num_coords=20, tol=1e-6, hint_for=None, *,
                   guard):
    """Compare the student's analytic gradient with the numerical gradient of their own loss.

    CS231n's measure per coordinate: |num - ana| / max(|num| + |ana|, 1e-8), maximum over the
    sampled coordinates. Returns that maximum; raises CheckFailed above `tol`.
    `args` are the loss's other arguments, (X, y, reg). `hint_for(W, *args, coords,
    analytic_values, numerical)` returns the hint of a known mistake that explains the sampled
    entries (the student's analytic values, the numerical gradient), or ""; it runs only when the
    check fails, before the regularization diagnosis every loss gets.
    The coordinate perturbations W ± h e_i tell the worker W, so a loss that remembers what it was
    asked could answer them with its own dW: once they agree, `guard` (a GradientGuard) makes sure
    the loss is one function of W and its dW the gradient of that function.
    """
    flat = rng.choice(W.size, size=min(num_coords, W.size), replace=False)
    coords = [np.unravel_index(i, W.shape) for i in flat]
    numerical = numerical_gradient_at(student, target, W, args, coords)
    analytic_values = np.array([analytic[c] for c in coords], dtype=np.float64)
    errors = np.abs(numerical - analytic_values) / np.maximum(1e-8, np.abs(numerical) + np.abs(analytic_values))
    worst = int(np.argmax(errors))
    if errors[worst] > tol:
        c = tuple(int(i) for i in coords[worst])
        hint = ((hint_for(W, *args, coords, analytic_values, numerical) if hint_for else "")
                or regularization_gradient_hint(W, args[-1], coords, analytic_values, numerical))
        raise CheckFailed(
            f"{fn}: gradient check failed on {on}. At dW{list(c)} your analytic gradient is "
            f"{analytic_values[worst]:.6g} but the numerical gradient of your own loss is "
            f"{numerical[worst]:.6g} (relative error {errors[worst]:.2e}, tolerance {tol:.0e}). "
            "Your loss and your gradient disagree: derive dW from the loss you compute."
            + (f"\nHint: {hint}" if hint else ""))
    guard.check(student, target, W, args, loss_gradient_at(student, target, args, fn), fn, on, tol)
    return float(errors.max())


def loss_gradient_at(student, target, args, fn):
    """W -> the student's dW of loss `target(W, *args)`, validated, for GradientGuard.check."""
    return lambda W: expect_loss_and_grad(student.call(target, W, *args), W, fn)[1]


class GradientGuard:
    """The part of a gradient check that a loss which remembers what it was asked cannot pass.

    Any point the worker can relate to a base point it knows, it can answer linearly with the dW
    it claimed there, and then every finite difference agrees with that dW. So the guard takes a
    base point nobody can predict (the check's W jittered from `rng`), `directions` random dense
    directions v and signs s, and asks for the loss at base + s h v twice: in the student's worker,
    which also gets base - s h v and the student's dW at base, and in `blind`, a second worker on
    the same submission that only ever gets such one-sided points (one request each, in shuffled
    order), never a base point or another call. An honest loss is a function: both workers give
    the same value, and the centered differences along each v agree with dW · v. A forger in the
    blind worker must guess the base from points one-sided around it, and its error leaks into
    every value. Unnormalized Gaussian directions keep the points off a sphere whose center would
    be the base.

    `blind` is shared by every gradient check of a grading session; `rng` is the check's own
    generator, which the student cannot predict: derived from the grading seed (reproducible for a
    regrade) or from fresh entropy in `autograder check`.
    """

    # A dense direction may cross a kink of a piecewise-linear loss (the SVM's hinges) within h,
    # which spoils the centered difference along it: that many of the directions may disagree.
    ALLOWED_KINKS = 1
    # The same code on the same float64 input gives the same value in any process; this only
    # absorbs round-off of a different summation order, far below what a guessed base leaves.
    SAME_VALUE_TOL = 1e-12
    # Base points tried before a directional disagreement fails the check.
    ATTEMPTS = 2

    def __init__(self, blind, rng, directions=6, h=1e-5, jitter=1e-2):
        self.blind = blind
        self.rng = rng
        self.directions = directions
        self.h = h
        self.jitter = jitter

    def check(self, student, target, W, args, gradient_at, fn, on, tol=1e-6):
        """Raise CheckFailed unless the student's loss `target(point, *args)` is one function of the
        point near W (values from the two workers agree) whose gradient is `gradient_at(base)` (the
        student's analytic gradient, shaped like W) along every random direction but ALLOWED_KINKS.

        A base point so close to a hinge that two directions cross it within h is rare (measured on
        the reference SVM: none of 2,000 random bases at the gradient checks' sizes, 1 of 2,000 at
        N=40, D=20, C=10), so a directional disagreement is looked at again at a second base point
        before it fails; values of two workers that differ fail at once. `on` describes the input
        for the message. Returns the largest directional error of the base that passed.
        """
        W = np.asarray(W, dtype=np.float64)
        for _attempt in range(self.ATTEMPTS):
            errors, numerical, along = self._directional_errors(student, target, W, args, gradient_at, fn, on)
            failed = np.flatnonzero(errors > tol)
            if failed.size <= self.ALLOWED_KINKS:
                return float(errors.max())
        worst = int(np.argmax(errors))
        raise CheckFailed(
            f"{fn}: gradient check failed on {on} along random directions: for {failed.size} of {errors.size} random "
            "directions v (dense, every entry of W moved at once), the numerical derivative of your own loss "
            f"along v, (L(W + h v) - L(W - h v)) / (2 h), differs from your analytic dW · v (worst "
            f"{numerical[worst]:.6g} against {along[worst]:.6g}, relative error {errors[worst]:.2e}, tolerance "
            f"{tol:.0e}). The sampled single entries agreed, so some entries of dW that were not sampled are "
            "off: derive every entry of dW from the loss you compute.")

    def _directional_errors(self, student, target, W, args, gradient_at, fn, on):
        """(CS231n relative errors, numerical derivatives, dW · v) along the directions, at a new base."""
        rng, h, K = self.rng, self.h, self.directions
        spread = max(float(np.sqrt(np.mean(W * W))), 1e-3)
        base = W + self.jitter * spread * rng.standard_normal(W.shape)
        analytic = np.asarray(gradient_at(base), dtype=np.float64)
        # Entries of variance 1 / W.size: a step h v as long as a coordinate step, on average.
        directions = rng.standard_normal((K,) + W.shape) / np.sqrt(W.size)
        signs = rng.choice((-1.0, 1.0), size=K)
        ahead = [base + s * h * v for s, v in zip(signs, directions)]
        behind = [base - s * h * v for s, v in zip(signs, directions)]
        points = ahead + behind
        order = rng.permutation(2 * K)
        mine = np.empty(2 * K)
        mine[order] = [loss_value(v, target) for v in student.map(target, [(points[i],) + tuple(args) for i in order])]
        blind = np.empty(K)
        for k in rng.permutation(K):
            blind[k] = loss_value(self.blind.call(target, ahead[k], *args), target)
        self._require_one_function(mine[:K], blind, fn, on)
        numerical = (mine[:K] - mine[K:]) / (2 * h * signs)
        along = np.tensordot(directions, analytic, axes=W.ndim)
        errors = np.abs(numerical - along) / np.maximum(1e-8, np.abs(numerical) + np.abs(along))
        return errors, numerical, along

    def _require_one_function(self, mine, blind, fn, on):
        gaps = np.abs(mine - blind)
        differ = np.flatnonzero(gaps > self.SAME_VALUE_TOL * np.maximum(np.abs(mine), np.abs(blind)))
        if differ.size:
            k = int(differ[np.argmax(gaps[differ])])
            raise CheckFailed(
                f"{fn}: the gradient check on {on} cannot trust your loss: its values are not those of one "
                f"function of W. At {differ.size} of {len(mine)} points near W it returned one value in the "
                "worker that had just computed your loss and dW, and another in a fresh worker that had seen no "
                f"other call (for example {mine[k]:.17g} against {blind[k]:.17g}). A loss must depend on W, X, y "
                "and reg alone, not on what it was asked before or on the process (no values remembered between "
                "calls, no global state), so the gradient check gives no points.")


def regularization_gradient_hint(W, reg, coords, analytic, numerical):
    """The hint when the gap between the numerical gradient of the student's own loss and their
    analytic dW, at the sampled `coords`, is the regularization gradient or half of it ("" else).

    The loss carries reg * sum(W * W), so its numerical gradient has 2 * reg * W in it; a dW that
    lacks reg * W or 2 * reg * W falls short by exactly that."""
    if not isinstance(reg, (int, float)) or reg == 0:
        return ""
    gap = numerical - analytic
    W_at = np.array([W[c] for c in coords], dtype=np.float64)
    if not np.any(W_at):
        return ""
    if array_error(gap, reg * W_at) <= 1e-4:
        return ("your dW falls short of the numerical gradient of your own loss by reg * W at every sampled entry: "
                "the derivative of reg * sum(W * W) is 2 * reg * W, and the factor 2 is missing.")
    if array_error(gap, 2 * reg * W_at) <= 1e-4:
        return ("your dW falls short of the numerical gradient of your own loss by 2 * reg * W at every sampled "
                "entry: your loss includes reg * sum(W * W), but dW does not include its gradient 2 * reg * W.")
    return ""


# What replaces the loop, for a function whose loop-free check failed.
WHOLE_ARRAYS = ("work on whole arrays: one matrix product or elementwise operation over all N rows does what "
                "the loop over the examples did.")


def check_loop_free(lib_dir, module, function, how=WHOLE_ARRAYS):
    """Raise CheckFailed listing every loop found in lib/<module>.py's `function` or its helpers,
    and every place where the grader cannot see what runs (static_loops: dynamic look-ups,
    tracer access, a module that is not plain source).

    The hint names the helper when the loops are all in functions that `function` calls (a
    "vectorized" version that calls the naive one), and then says `how` to do without them.
    """
    try:
        findings = LoopFinder(lib_dir).find(module, function)
    except LookupError as exc:
        raise CheckFailed(f"{exc}; keep the function's name and signature from the stub.") from None
    except (SyntaxError, ValueError) as exc:
        raise CheckFailed(f"lib/{module}.py could not be read as Python source: {exc}.") from None
    hidden = [f for f in findings if f.kind != "loop"]
    if hidden:
        listed = "; ".join(f"{f}: {f.why}" for f in hidden)
        raise CheckFailed(f"{function} cannot be judged loop-free, because the grader cannot see what it runs: "
                          f"{listed}.\nHint: call your helpers by name (`helper(x)`, imported with "
                          f"`from .module import helper`) and leave tracing and the interpreter alone; then {how}")
    if findings:
        listed = "; ".join(str(f) for f in findings)
        helpers = sorted({f.function for f in findings} - {function})
        if helpers and all(f.function != function for f in findings):
            hint = (f"{function} calls {', '.join(helpers)}, which loop{'s' if len(helpers) == 1 else ''}: a "
                    f"loop-free function may only call loop-free helpers. Instead, {how}")
        else:
            hint = how
        raise CheckFailed(f"{function} must be vectorized (no Python loops, comprehensions or recursion, "
                          f"also in the lib helpers it calls), but it has {listed}. Rewrite it with "
                          f"whole-array numpy operations.\nHint: {hint}")


def traced_problems(rng, reg):
    """The inputs of the dynamic loop-free check of a loss: N0, 2 N0 and 4 N0 examples (small, so
    that tracing costs little; doubling, so that a loop over the examples shows in the count of
    lines that ran), with N0, D and C drawn from `rng`. Given the gradient guard's generator, which
    the student cannot predict, no submission can tell the traced calls by their shapes.
    → (list of (W, X, y, reg), the sizes)"""
    n0, D, C = int(rng.integers(8, 16)), int(rng.integers(4, 10)), int(rng.integers(3, 7))
    sizes = (n0, 2 * n0, 4 * n0)
    return [(*random_problem(rng, n, D, C), reg) for n in sizes], sizes


def check_lines_constant(student, target, args_by_size, sizes, how=WHOLE_ARRAYS):
    """Raise CheckFailed unless the same number of lines of the student's code runs in one call of
    `target` for each args tuple of `args_by_size`, the inputs with N = `sizes` examples.

    The count (Sandbox.line_events) is taken in the worker by a tracer in that process, so it
    is only as strong as the static rules that keep lib code away from tracing and frames
    (check_loop_free, run first): a submission that reached the tracer could hide its lines.
    What it adds is independent of reading the source: a loop that runs, however it is reached
    (an alias, a look-up by name, code compiled from a string), makes the count grow with N.
    """
    fn = target.split(".")[-1]
    rows = student.line_events(target, args_by_size)
    counts = "; ".join(f"N = {n}: {lines} lines ran" for n, (lines, _, _) in zip(sizes, rows))
    if not all(seen for _, seen, _ in rows):
        raise CheckFailed(f"{fn} could not be traced: when the grader called it, none of its own lines ran "
                          f"({counts}). Define {fn} with `def` in lib/{target.split('.')[0]}.py, so that "
                          "calling it runs its own code (not a functools.partial, a class instance or a builtin).")
    if not all(intact for _, _, intact in rows):
        raise CheckFailed(f"{fn}: tracing was switched off during the call ({counts}). The grader counts the "
                          "lines your code runs; code in lib/ must not call sys.settrace or change tracing.")
    lines = [row[0] for row in rows]
    if len(set(lines)) > 1:
        grows = all(a < b for a, b in zip(lines, lines[1:]))
        cause = ("a loop over the examples runs" if grows else
                 "how much of your code runs depends on the number of examples (a loop or a branch on N)")
        raise CheckFailed(f"{fn} must run the same Python lines whatever the number of examples N, but it ran "
                          f"{counts}: {cause}, even where the source shows none (an alias of a looping function, "
                          f"a look-up by name, or code run from a string).\nHint: {how}")


def check_unchanged(student, target, args, names, fn):
    """Call the student's `target(*args)` and raise CheckFailed naming every input it modified,
    with a hint that says how the first one was changed (see `mutation_hint`).

    `names` name the positional arguments, e.g. ("W", "X", "y", "reg"). Returns the call's value.
    """
    value, changes = student.call_reporting_changes(target, *args)
    if changes:
        changed = [names[i] for i in sorted(changes)]
        hint = next(filter(None, (mutation_hint(names[i], args[i], after, returned_arrays(value))
                                  for i, after in sorted(changes.items()))), "")
        raise CheckFailed(f"{fn} modified its input{'s' if len(changed) > 1 else ''} "
                          f"{', '.join(changed)}; it must leave {'them' if len(changed) > 1 else 'it'} unchanged "
                          "(work on a copy, e.g. `W = W.copy()`, or build new arrays instead of `+=` on an input)."
                          + (f"\nHint: {hint}" if hint else ""))
    return value


def returned_arrays(value):
    """The arrays among a return value: itself, or the items of a returned tuple or list."""
    items = value if isinstance(value, (tuple, list)) else (value,)
    return [v for v in items if isinstance(v, np.ndarray)]


def mutation_hint(name, before, after, returned=()):
    """What the change of input `name` from `before` to `after` says about the code that made it,
    or "" when it matches none of the usual ways of writing into an input.

    `returned` are the arrays the call returned: an input that ends up equal to one of them was
    returned itself (`W = W0` names the same array twice, and `W -= ...` then changes the caller's).
    """
    if not isinstance(after, np.ndarray) or after.shape != before.shape:
        return ""
    if any(r.shape == after.shape and np.array_equal(r, after) for r in returned):
        return (f"the array you return is the caller's {name} itself, updated in place: an assignment such as "
                f"`new = {name}` gives the same array a second name, so `new -= ...` or `new[...] = ...` also "
                f"changes {name}. Start from a copy (`{name}.copy()`) or build a new array from {name}.")
    if before.size > 1 and np.array_equal(np.sort(before, axis=None), np.sort(after, axis=None)):
        return (f"{name} holds its old values in another order: it was sorted, shuffled or reversed in place "
                f"(`{name}[:] = {name}[::-1]`, `{name}.sort()`, `rng.shuffle({name})`). Reorder a copy, or "
                f"index into a new array (`{name}[order]`).")
    old = before.astype(np.float64).ravel()
    new = after.astype(np.float64).ravel()
    if np.dot(old, old) > 0:
        factor = float(np.dot(old, new) / np.dot(old, old))
        if np.allclose(new, factor * old, rtol=1e-9, atol=1e-12):
            return (f"{name} now holds a multiple of its old values (each multiplied by {factor:g}): `*=` or `/=` "
                    f"on {name}, or on another name for it (`dW = {name}` does not copy), "
                    "wrote into the caller's array. "
                    f"Build a new array instead (e.g. `2 * reg * {name}`).")
    return ""


# -- Loss functions `f(W, X, y, reg) -> (loss, dW)` with the contract's L2 term ------------------

def random_problem(rng, N, D, C, dtype=np.float64, scale=1.0):
    """W (D, C) ~ 0.1 * scale * N(0, 1), X (N, D) ~ scale * N(0, 1), y (N,) uniform in [0, C)."""
    W = (0.1 * scale * rng.standard_normal((D, C))).astype(dtype)
    X = (scale * rng.standard_normal((N, D))).astype(dtype)
    y = rng.integers(0, C, size=N)
    return W, X, y


def check_regularization(student, target, W, X, y, reg):
    """Going from reg = 0 to `reg` must add reg * sum(W * W) to the loss and 2 * reg * W to dW."""
    fn = target.split(".")[-1]
    on = describe_shapes(W=W, X=X, reg=reg)
    loss0, dW0 = expect_loss_and_grad(student.call(target, W, X, y, 0.0), W, fn)
    loss1, dW1 = expect_loss_and_grad(student.call(target, W, X, y, reg), W, fn)
    check_close(loss1 - loss0, reg * np.sum(W * W), fn,
                f"the change of the loss when reg goes from 0 to {reg:g}", on, 1e-7,
                "the regularization term is reg * np.sum(W * W), added once (not per example).")
    change = dW1 - dW0
    hint = ""
    if np.allclose(change, reg * W):
        hint = "the derivative of reg * sum(W * W) is 2 * reg * W: the factor 2 is missing."
    elif np.allclose(change, 0):
        hint = "dW does not include the regularization gradient 2 * reg * W."
    check_close(change, 2 * reg * W, fn, f"the change of dW when reg goes from 0 to {reg:g}", on, 1e-7, hint)


def check_versions_agree(student, target, other, problems, tol=1e-9):
    """`target` returns the same loss and dW as the student's `other` on each (W, X, y, reg)."""
    fn, other_fn = target.split(".")[-1], other.split(".")[-1]
    for W, X, y, reg in problems:
        on = describe_shapes(W=W, X=X, reg=reg)
        loss_o, dW_o = expect_loss_and_grad(student.call(other, W, X, y, reg), W, other_fn)
        loss_t, dW_t = expect_loss_and_grad(student.call(target, W, X, y, reg), W, fn)
        compared = f"compared with your {other_fn}; one of the two is wrong"
        # Both carry the same regularization terms, so what remains is each one's data part.
        N, reg_loss, reg_grad = X.shape[0], reg * np.sum(W * W), 2 * reg * W
        check_close(loss_t, loss_o, fn, f"the loss ({compared})", on, tol,
                    lambda: n_times_hint(loss_t - reg_loss, loss_o - reg_loss, N, fn, other_fn,
                                         "loss (loss - reg * sum(W * W))",
                                         "the loss is the mean over the N examples; divide it by N."))
        check_close(dW_t, dW_o, fn, f"dW ({compared})", on, tol,
                    lambda: n_times_hint(dW_t - reg_grad, dW_o - reg_grad, N, fn, other_fn,
                                         "dW (dW - 2 * reg * W)",
                                         "the data gradient is averaged over the N examples, like the loss; "
                                         "divide it by N."))


def n_times_hint(mine, theirs, N, fn, other_fn, part, advice):
    """"The data part of your <fn>'s <part> is N times your <other_fn>'s: <advice>" when it is (or
    the reverse, naming the other function first), else ""."""
    error = array_error if isinstance(mine, np.ndarray) else scalar_error
    for big, small, big_fn, small_fn in ((mine, theirs, fn, other_fn), (theirs, mine, other_fn, fn)):
        if N > 1 and np.any(small) and error(big, N * small) <= 1e-6:
            return f"the data part of your {big_fn}'s {part} is N times your {small_fn}'s (N = {N}): {advice}"
    return ""


def gradient_consistency(student, target, W, X, y, reg, dW, rng, loss_name, *, guard):
    """A sentence telling a consistent-but-wrong loss (`loss_name` is what it should be) apart from
    a gradient that disagrees with its own loss: the student's own loss, gradient-checked at the
    same input in float64 (`guard` as in `check_gradient`)."""
    fn = target.split(".")[-1]
    try:
        check_gradient(student, target, W.astype(np.float64), (X.astype(np.float64), y, reg),
                       dW.astype(np.float64), fn, "the same input", rng, guard=guard)
    except CheckFailed:
        return "Your dW also disagrees with the numerical gradient of your own loss."
    return ("Your dW does match the numerical gradient of your own loss: loss and gradient are consistent, "
            f"but the loss itself is not {loss_name}.")


def check_loss_against_reference(student, target, reference_fn, problems, rng, loss_name, hint_for=None, *, guard):
    """The student's `target` returns the reference's loss and dW on each (W, X, y, reg).

    `problems` may be a generator that draws each problem from `rng` when it is needed.
    `hint_for(loss, dW, W, X, y, reg, part)` returns the hint of a known mistake that reproduces
    the student's `part` ("loss" or "dW"), or ""; it runs only when a comparison fails. A wrong
    dW is also gradient-checked against the student's own loss (see `gradient_consistency`, with
    `guard`).
    """
    fn = target.split(".")[-1]
    for W, X, y, reg in problems:
        on = describe_shapes(W=W, X=X, reg=reg)
        loss, dW = expect_loss_and_grad(student.call(target, W, X, y, reg), W, fn)
        expected_loss, expected_dW = reference_fn(W, X, y, reg)
        tol = tolerance(W)

        def hint(part, loss=loss, dW=dW, W=W, X=X, y=y, reg=reg):
            return hint_for(loss, dW, W, X, y, reg, part) if hint_for else ""
        check_close(loss, expected_loss, fn, "the loss", on, tol, lambda: hint("loss"))
        try:
            check_close(dW, expected_dW, fn, "dW", on, tol, lambda: hint("dW"))
        except CheckFailed as failure:
            consistency = gradient_consistency(student, target, W, X, y, reg, dW, rng, loss_name, guard=guard)
            raise CheckFailed(f"{failure}\n{consistency}") from None


# -- Linear classifiers (lib/linear_classifier.py) trained with a student's loss --------------

@contextmanager
def needed_for_training(class_name, target):
    """Turn a failure inside into "<class_name> trains with your <target>, so that must be right first"."""
    try:
        yield
    except CheckFailed as failure:
        raise CheckFailed(f"{class_name} trains with your {target.split('.')[-1]}, so that must be right "
                          f"first: {failure}") from None


def require_gradient_for_training(student, target, class_name, rng, reg=0.1, *, guard):
    """The classifier's loss `target` passes the student's own gradient check (8 x 6, 4 classes;
    `guard` as in `check_gradient`)."""
    fn = target.split(".")[-1]
    W, X, y = random_problem(rng, 8, 6, 4)
    _, dW = expect_loss_and_grad(student.call(target, W, X, y, reg), W, fn)
    with needed_for_training(class_name, target):
        check_gradient(student, target, W, (X, y, reg), dW, fn, describe_shapes(W=W, X=X, reg=reg), rng, guard=guard)


def require_reference_loss_for_training(student, target, reference_fn, class_name, rng, reg=0.1):
    """The classifier's loss `target` matches the reference on one input (30 x 12, 5 classes)."""
    fn = target.split(".")[-1]
    W, X, y = random_problem(rng, 30, 12, 5)
    loss, dW = expect_loss_and_grad(student.call(target, W, X, y, reg), W, fn)
    expected_loss, expected_dW = reference_fn(W, X, y, reg)
    with needed_for_training(class_name, target):
        check_close(loss, expected_loss, fn, "the loss", describe_shapes(W=W, X=X), 1e-7)
        check_close(dW, expected_dW, fn, "dW", describe_shapes(W=W, X=X), 1e-7)


def blobs(rng, N=300, D=5, C=3):
    """Well separated Gaussian clusters with a bias column: a linear classifier reaches ~100 %."""
    centers = 4.0 * rng.standard_normal((C, D - 1))
    y = rng.integers(0, C, size=N)
    X = centers[y] + 0.5 * rng.standard_normal((N, D - 1))
    return np.hstack([X, np.ones((N, 1))]), y


def student_train(classifier, class_name, X, y, **kwargs):
    """The loss history of `classifier.train(X, y, **kwargs)` in the worker, as a list."""
    history = classifier.call("train", X, y, **kwargs)
    if not isinstance(history, list):
        raise CheckFailed(f"{class_name}.train should return a list of losses; it returned {type(history).__name__}.")
    return history


def check_train_predict(student, class_name, rng):
    """`linear_classifier.<class_name>` trains and predicts by the contract on separable blobs.

    W is drawn first from the seed, train returns one loss per iteration and reduces it, runs
    with the same seed repeat exactly, and predict returns integer labels that fit the data.
    """
    X, y = blobs(rng)
    N, D = X.shape
    seed = 231
    settings = dict(learning_rate=1e-2, reg=1e-4, batch_size=50, seed=seed)
    untrained = student.new(f"linear_classifier.{class_name}")
    history = student_train(untrained, class_name, X, y, num_iters=0, **settings)
    if history:
        raise CheckFailed(f"{class_name}.train with num_iters=0 returned {len(history)} losses; expected none.")
    W0 = expect_array(untrained.get("W"), (D, 3), f"{class_name}.train", "self.W")
    expected_W0 = 0.001 * np.random.default_rng(seed).standard_normal((D, 3))
    check_close(W0, expected_W0, f"{class_name}.train", "the initial W", "seed=231", 1e-12,
                "on the first call W is 0.001 * rng.standard_normal((D, C)) with "
                "rng = np.random.default_rng(seed), before any batch is drawn.")
    classifier = student.new(f"linear_classifier.{class_name}")
    history = student_train(classifier, class_name, X, y, num_iters=200, **settings)
    if len(history) != 200:
        raise CheckFailed(f"{class_name}.train returned {len(history)} losses for num_iters=200; "
                          "expected one per iteration.")
    losses = np.array([expect_number(v, f"{class_name}.train", "each loss") for v in history])
    if not losses[-20:].mean() < 0.5 * losses[:20].mean():
        raise CheckFailed(f"{class_name}.train did not reduce the loss on separable data: mean of the first "
                          f"20 losses {losses[:20].mean():.4g}, of the last 20 {losses[-20:].mean():.4g}. "
                          "Check the update W = W - learning_rate * grad.")
    predictions = classifier.call("predict", X)
    C = W0.shape[1]
    if isinstance(predictions, np.ndarray) and predictions.shape == (C,):
        raise CheckFailed(f"{class_name}.predict returned the labels of shape {predictions.shape}; expected shape "
                          f"{(N,)}, one label per example.\nHint: {predictions.shape} is one label per class: "
                          f"take the argmax over the classes, axis=1 of the (N, C) = {(N, C)} scores X.dot(self.W).")
    predictions = expect_array(predictions, (N,), f"{class_name}.predict", "the labels", "iu")
    accuracy = float(np.mean(predictions == y))
    if accuracy < 0.9:
        raise CheckFailed(f"{class_name}.predict is right on {accuracy:.0%} of well separated training data "
                          "after training; expected at least 90 %. predict should return "
                          "np.argmax(X @ self.W, axis=1).")
    again = student.new(f"linear_classifier.{class_name}")
    repeat = student_train(again, class_name, X, y, num_iters=200, **settings)
    if not np.allclose(np.array(repeat, dtype=float), losses, rtol=1e-12, atol=0):
        raise CheckFailed(f"Two {class_name}.train runs with the same seed gave different losses; draw the "
                          "initial W and every batch from rng = np.random.default_rng(seed).")


def digits_problem(reference):
    """(X_train, y_train, X_val, y_val) of the digits in fast mode, from the reference's loader
    (loaded once per grader process)."""
    data = reference.computed("digits fast", lambda: reference.data.load_dataset("digits", fast=True))
    return data["X_train"], data["y_train"], data["X_val"], data["y_val"]


def reference_classifier_run(reference, class_name, seed, training):
    """(loss history, validation predictions) of the reference `class_name` trained on the fast digits
    with `seed` and `training`; trained once per grader process for the same arguments."""
    def train():
        X, y, X_val, _ = digits_problem(reference)
        classifier = getattr(reference.linear_classifier, class_name)()
        history = np.array(classifier.train(X, y, seed=seed, **training))
        return history, classifier.predict(X_val)
    return reference.computed(("linear classifier on the digits", class_name, seed, tuple(sorted(training.items()))),
                              train)


def check_training_matches_reference(student, reference, class_name, rng, training):
    """`class_name`.train with a seed drawn from `rng` gives the reference's loss history on the digits."""
    X, y, _, _ = digits_problem(reference)
    seed = int(rng.integers(2**31))
    classifier = student.new(f"linear_classifier.{class_name}")
    history = np.array([expect_number(v, f"{class_name}.train", "each loss")
                        for v in student_train(classifier, class_name, X, y, seed=seed, **training)])
    expected, _ = reference_classifier_run(reference, class_name, seed, training)
    if history.shape != expected.shape:
        raise CheckFailed(f"{class_name}.train returned {history.size} losses for num_iters={training['num_iters']}; "
                          f"expected {expected.size}, one per iteration.")
    check_close(history, expected, f"{class_name}.train", "the loss history",
                f"the digits X {X.shape}, seed={seed}", 1e-6,
                "draw W first, then each batch with rng.choice(N, batch_size, replace=True), and update "
                "W = W - learning_rate * grad after recording the loss.")


def check_accuracy_matches_reference(student, reference, class_name, rng, training, band=0.02):
    """A `class_name` trained in the worker reaches the reference's digits validation accuracy − `band`."""
    X, y, X_val, y_val = digits_problem(reference)
    seed = int(rng.integers(2**31))
    classifier = student.new(f"linear_classifier.{class_name}")
    student_train(classifier, class_name, X, y, seed=seed, **training)
    predictions = expect_array(classifier.call("predict", X_val), y_val.shape, f"{class_name}.predict",
                               "the labels", "iu")
    accuracy = float(np.mean(predictions == y_val))
    _, reference_predictions = reference_classifier_run(reference, class_name, seed, training)
    expected = float(np.mean(reference_predictions == y_val))
    if accuracy < expected - band:
        raise CheckFailed(f"{class_name} reaches {accuracy:.1%} validation accuracy on the digits; the reference "
                          f"reaches {expected:.1%} with the same seed and settings (at least "
                          f"{expected - band:.1%} needed).")


VECTORIZED_LOSS = ("compute the (N, C) scores of every example at once, scores = X.dot(W), then the loss and "
                   "dW from whole-array operations on them (a mask or the probabilities, and one product with X.T).")


@functools.lru_cache(maxsize=1)
def cifar_sized_problem():
    """(W, X, y) of CIFAR-10's size, N=500, D=3073, C=10, for timing: speed is reported, never graded,
    so the input is the same for everyone and drawn once per grader process."""
    return random_problem(np.random.default_rng(3073), 500, 3073, 10)


def speed_note(student, reference_sandbox, target, reg=2.5e4):
    """'Speed (reported, not graded): ...' for the loss `target`, the student's median time against
    the reference's (each in its own worker) on the CIFAR-sized problem."""
    W, X, y = cifar_sized_problem()
    mine = float(np.median(student.time(target, W, X, y, reg, repeat=5)))
    theirs = float(np.median(reference_sandbox.time(target, W, X, y, reg, repeat=5)))
    return (f"Speed (reported, not graded): {mine * 1e3:.1f} ms per call on N=500, D=3073, C=10, "
            f"the reference {theirs * 1e3:.1f} ms ({mine / theirs:.1f}x).")


def check_vectorized_form(student, student_lib, target, module, rng, reg=0.2, *, guard):
    """The form check of a vectorized loss `target` (e.g. 'softmax.softmax_loss_vectorized'): it scores
    only with right values, so its gradient must check out on a small problem (`guard` as in
    `check_gradient`), then no loops: none in the source it reaches (check_loop_free), and the same
    lines run for N0, 2 N0 and 4 N0 examples of unpredictable shapes (check_lines_constant)."""
    check_own_gradient(student, target, rng, reg, guard=guard)
    check_loop_free(student_lib, module, target.split(".")[-1], VECTORIZED_LOSS)
    problems, sizes = traced_problems(guard.rng, reg)
    check_lines_constant(student, target, problems, sizes, VECTORIZED_LOSS)


def check_own_gradient(student, target, rng, reg, hint_for=None, *, guard):
    """The student's dW of loss `target` against the numerical gradient of their own loss, on a
    small random problem (W (6, 4), X (8, 6)) drawn from `rng`; `hint_for` and `guard` as in
    `check_gradient`."""
    fn = target.split(".")[-1]
    W, X, y = random_problem(rng, 8, 6, 4)
    _, dW = expect_loss_and_grad(student.call(target, W, X, y, reg), W, fn)
    check_gradient(student, target, W, (X, y, reg), dW, fn, describe_shapes(W=W, X=X, reg=reg), rng,
                   hint_for=hint_for, guard=guard)
