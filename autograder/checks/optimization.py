"""Checks for the optimization assignment: lib/optimization.py.

Public checks compare the student's kernels with what the contract (the docstrings) says they
return: numerical gradients against the exact gradients of known smooth functions, the searches
and descent loops against their seeded draws reproduced here, and properties of the update rules
that do not spell out their formulas. Hidden checks add hidden functions, seeds, shapes and
configurations, compared with the reference.

The student's kernels get the functions they optimize as `TrustedFunction`s: callables that
send their argument to the grader, which checks it and computes the value with the functions
of `checks/objectives.py`. Nothing of a function's parameters (a quadratic's A and b, a
loss's data) exists in the worker, so the student's code cannot read them by introspection, and
every verdict is computed here from values the worker returned. Form checks (inputs unchanged)
score only when the values are right, so returning zeros earns nothing.
"""
import numpy as np
import pytest

from ..sandbox.wire import TrustedFunction
from . import objectives as functions
from .common import CheckFailed, array_error, check_close, check_unchanged, describe_shapes, expect_array, expect_number

RANDOM_SEARCH = "optimization.random_search"
LOCAL_SEARCH = "optimization.random_local_search"
GRADIENT_DESCENT = "optimization.gradient_descent"
MINIBATCH_SGD = "optimization.minibatch_sgd"
SGD = "optimization.sgd"
MOMENTUM = "optimization.sgd_momentum"
ADAM = "optimization.adam"

# Relative tolerances of a numerical gradient against the exact one. With h <= 1e-4 a centered
# difference is off by ~1e-9 (truncation h**2 f'''/6, round-off eps |f| / h); a forward one by
# ~h f''/2 ~ 1e-5, which the centered tolerance rejects and the forward one accepts.
CENTERED_TOL = 1e-7
FORWARD_TOL = 1e-3
# Loops and searches recompute what the student computed, operation for operation.
PATH_TOL = 1e-9


def kind_of(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"{type(value).__name__} {value!r}"[:120]


def expect_pair(value, fn, first, second):
    """The two items of a `(first, second)` return value."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise CheckFailed(f"{fn} should return a tuple ({first}, {second}); it returned {kind_of(value)}.")
    return value


def matches(actual, expected, tol=1e-6):
    """True when `actual` equals `expected` (arrays of one shape) within relative `tol`."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return actual.shape == expected.shape and bool(np.all(np.isfinite(actual))) and array_error(actual, expected) <= tol


def first_hint(actual, candidates, tol=1e-6):
    """The hint of the first (value, hint) candidate that `actual` reproduces, else ""."""
    return next((hint for value, hint in candidates if matches(actual, value, tol)), "")


# --- the functions handed to the student's kernels ---------------------------------------------

def point_argument(value, shape, what):
    """`value`, a point the student's code passed to a function of the grader, as a float64 array of
    `shape` (a plain number is accepted for shape ()); ValueError saying what was expected otherwise."""
    shape = tuple(shape)
    if shape == () and isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        value = np.asarray(value, dtype=np.float64)
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf":
        raise ValueError(f"expected {what} as a numpy array of numbers of shape {shape}; got {kind_of(value)}.")
    if value.shape != shape:
        raise ValueError(f"expected {what} of shape {shape}; got an array of shape {value.shape}.")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"expected finite values in {what}; got {int(np.sum(~np.isfinite(value)))} nan/inf entries.")
    return value.astype(np.float64)


def trusted(function, shape, name, what="W", counter=None):
    """`function` of one point of `shape` as a TrustedFunction named `name` (the contract's parameter
    name, which the student reads in an error), checking each point first; `counter`, a list of one
    int, counts the evaluations."""
    def checked(point):
        point = point_argument(point, shape, what)
        if counter is not None:
            counter[0] += 1
        return function(point)
    return TrustedFunction(checked, name)


def trusted_batch_loss_grad(num_classes, reg, D):
    """`functions.least_squares_batch_loss_grad(num_classes, reg)` as a TrustedFunction: (W, X_batch,
    y_batch) with W (D, num_classes), X_batch (B, D) and y_batch (B,) labels in [0, num_classes)."""
    loss_grad = functions.least_squares_batch_loss_grad(num_classes, reg)

    def checked(W, X_batch, y_batch):
        W = point_argument(W, (D, num_classes), "W")
        rows = X_batch.shape[0] if isinstance(X_batch, np.ndarray) and X_batch.ndim == 2 else 0
        X_batch = point_argument(X_batch, (rows, D), "X_batch (a 2-d array with one row per example)")
        if not (isinstance(y_batch, np.ndarray) and y_batch.shape == (rows,) and y_batch.dtype.kind in "iu"):
            raise ValueError(f"expected y_batch as an integer array of shape ({rows},), one label per row of "
                             f"X_batch; got {kind_of(y_batch)}.")
        if rows == 0 or y_batch.min() < 0 or y_batch.max() >= num_classes:
            raise ValueError(f"expected a batch of at least one example with labels in [0, {num_classes}); got "
                             f"{rows} examples" + (f" with labels from {y_batch.min()} to {y_batch.max()}." if rows
                                                   else "."))
        return loss_grad(W, X_batch, y_batch)
    return TrustedFunction(checked, "loss_grad_fn")


# --- numerical gradients ---------------------------------------------------------------------

def wavy_problem(rng, shape):
    """Parameters (a, w, c) of `functions.wavy` and a point x, all of `shape`, float64.

    |w * x| <= 1 keeps cos(w * x), and so the third derivative that a centered difference
    neglects, away from 0 at every entry; a has the sign of x, so that the two terms of the
    gradient of a scalar x, a w cos(w x) + c**2 x, add up instead of cancelling (|gradient| > 0.13).
    """
    def draw(low, high):
        return np.asarray(rng.uniform(low, high, shape), dtype=np.float64)
    x = draw(-0.5, 0.5)
    a = draw(0.5, 1.5) * np.where(x < 0, -1.0, 1.0)
    w = draw(0.5, 2.0)
    c = draw(0.5, 1.0)
    return (a, w, c), x


def describe_step(x, h):
    step = "the default h" if h is None else f"h={h:g}"
    return f"{describe_shapes(x=x)}, {step}, f(x) = sum(a * sin(w * x)) + 0.5 * sum(c * x) ** 2"


def run_numerical_gradient(student, kind, params, x, h=None):
    """(grad, x after the call, number of evaluations of f) of the student's numerical_gradient_<kind>
    on `functions.wavy(*params)` at x, with step h (None: the function's default step); f is
    evaluated, and its evaluations counted, in the grader."""
    fn = f"numerical_gradient_{kind}"
    calls = [0]
    f = trusted(functions.wavy(*params), x.shape, "f", "x", calls)
    value, changes = student.call_reporting_changes(f"optimization.{fn}", f, x, *(() if h is None else (h,)))
    grad = expect_array(value, x.shape, fn, "the gradient")
    x_after = expect_array(changes.get(1, x), x.shape, fn, "x after the call")
    return grad, x_after, calls[0]


def restored(x, x_after):
    """x is back to its values (round-off of x + h - h accepted)."""
    return bool(np.allclose(x_after, x, rtol=1e-12, atol=1e-15))


def restore_message(fn, x, x_after, h):
    changed = ~np.isclose(x_after, x, rtol=1e-12, atol=1e-15)
    largest = float(np.max(np.abs(x_after - x)))
    step = "" if h is None else f", h={h:g}"
    message = (f"{fn} changed its input x ({describe_shapes(x=x)}{step}): after the call {int(changed.sum())} "
               f"of its {x.size} entries differ from before, by up to {largest:.1e}; expected every entry back at "
               "its old value. Put each entry back to its old value after evaluating f there (keep the old value "
               "in a variable and assign it back, rather than adding and subtracting h); otherwise every later "
               "entry is differenced at a displaced point.")
    hint = displacement_hint(x, x_after, changed, 1e-5 if h is None else h)
    return message + (f"\nHint: {hint}" if hint else "")


def displacement_hint(x, x_after, changed, h):
    """Which of the two evaluation points the changed entries of x were left at, when all agree ("" otherwise)."""
    moved = (x_after - x)[changed]
    which = "every entry of x was" if changed.all() else f"each of the {moved.size} changed entries of x was"
    if np.allclose(moved, -h, rtol=1e-6, atol=0):
        return (f"{which} left at old - h, the last point where f was evaluated: after f(x - h), assign the "
                "old value back (x[i] = old) before moving on to the next entry.")
    if np.allclose(moved, h, rtol=1e-6, atol=0):
        return (f"{which} left at old + h: after evaluating f(x + h), assign the old value back (x[i] = old) "
                "before moving on to the next entry.")
    return ""


def difference_formulas(params, x, h):
    """The grader's own f(x), f(x + h e_i) and f(x - h e_i), arrays shaped like x."""
    f = functions.wavy(*params)
    plus, minus = np.zeros(x.shape), np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        for sign, out in ((1.0, plus), (-1.0, minus)):
            moved = x.copy()
            moved[index] += sign * h
            out[index] = f(moved)
    return f(x), plus, minus


def numerical_hint(kind, params, x, h, grad, x_after):
    """The known mistake that `grad` reproduces, as a hint ("" when none does)."""
    if not restored(x, x_after):
        return ("x was not restored after the call, so later entries were differenced at a displaced "
                "point: put each x[i] back to its old value after evaluating f there.")
    step = 1e-5 if h is None else h
    f0, plus, minus = difference_formulas(params, x, step)
    shared = [(np.zeros(x.shape), "your gradient is all zeros: fill in one difference quotient per entry of x.")]
    if kind == "centered":
        candidates = [
            ((plus - f0) / step, "this is the forward difference (f(x + h) - f(x)) / h, whose error is of "
                                 "order h; the centered difference evaluates f at x + h and at x - h."),
            ((f0 - minus) / step, "this is the backward difference (f(x) - f(x - h)) / h; the centered "
                                  "difference evaluates f at x + h and at x - h."),
            ((plus - minus) / step, "your values are twice the gradient: divide f(x + h) - f(x - h) by 2 * h, "
                                    "the distance between the two points, not by h."),
            ((plus - minus) / 2 * step, "`... / 2 * h` divides by 2 and then multiplies by h (Python evaluates "
                                        "left to right): write `/ (2 * h)`."),
        ]
    else:
        candidates = [
            ((f0 - minus) / step, "this is the backward difference (f(x) - f(x - h)) / h; the forward "
                                  "difference is (f(x + h) - f(x)) / h."),
            ((plus - f0) / (2 * step), "your values are half the gradient: divide f(x + h) - f(x) by h, the "
                                       "distance between the two points."),
            ((plus - minus) / (2 * step), "this is the centered difference; numerical_gradient_forward is "
                                          "(f(x + h) - f(x)) / h."),
        ]
    return first_hint(grad, shared + candidates, tol=1e-9)


def require_numerical_gradient(student, kind, rng, cases, tol):
    """The student's numerical_gradient_<kind> matches the exact gradient on every (shape, h) case."""
    fn = f"numerical_gradient_{kind}"
    for shape, h in cases:
        params, x = wavy_problem(rng, shape)
        grad, x_after, _ = run_numerical_gradient(student, kind, params, x, h)
        exact = functions.wavy_gradient(*params)(x)
        check_close(grad, exact, fn, "the numerical gradient (against the exact gradient)", describe_step(x, h),
                    tol, numerical_hint(kind, params, x, h, grad, x_after))


def check_error_order(student, kind, rng, shape, h_large, h_small, spread=1.4):
    """The error against the exact gradient shrinks like h (forward) or h**2 (centered)."""
    fn = f"numerical_gradient_{kind}"
    order = 1 if kind == "forward" else 2
    params, x = wavy_problem(rng, shape)
    exact = functions.wavy_gradient(*params)(x)
    errors = []
    for h in (h_large, h_small):
        grad, x_after, _ = run_numerical_gradient(student, kind, params, x, h)
        # Loose: only a sanity check that these are gradients at all; the ratio is what counts here.
        check_close(grad, exact, fn, "the numerical gradient (against the exact gradient)", describe_step(x, h),
                    1e-1 if kind == "forward" else 1e-2, numerical_hint(kind, params, x, h, grad, x_after))
        errors.append(float(np.max(np.abs(grad - exact))))
    shrink = h_large / h_small
    ratio = errors[0] / max(errors[1], 1e-300)
    expected = shrink ** order
    if not expected / spread <= ratio <= expected * spread:
        hint = ""
        if abs(np.log(ratio / shrink)) < np.log(spread) and kind == "centered":
            hint = ("its error shrinks like h, as a forward difference's does: the centered difference "
                    "evaluates f at x + h and at x - h.")
        elif abs(np.log(ratio / shrink ** 2)) < np.log(spread) and kind == "forward":
            hint = ("its error shrinks like h ** 2, as a centered difference's does: numerical_gradient_forward "
                    "is (f(x + h) - f(x)) / h.")
        elif abs(np.log(ratio)) < np.log(spread):
            hint = "its error does not change with h: use the step h passed as an argument, not a fixed one."
        raise CheckFailed(
            f"{fn}: when h shrinks from {h_large:g} to {h_small:g} on {describe_shapes(x=x)}, the largest error "
            f"against the exact gradient goes from {errors[0]:.2e} to {errors[1]:.2e}, {ratio:.3g} times smaller. "
            f"A {kind} difference's error is of order h{'' if order == 1 else ' ** 2'}, so it should shrink about "
            f"{expected:g} times (accepted: {expected / spread:.3g} to {expected * spread:.3g})."
            + (f"\nHint: {hint}" if hint else ""))
    return ratio


def check_input_restored(student, kind, rng, shape, h, note):
    fn = f"numerical_gradient_{kind}"
    params, x = wavy_problem(rng, shape)
    grad, x_after, calls = run_numerical_gradient(student, kind, params, x, h)
    exact = functions.wavy_gradient(*params)(x)
    if not restored(x, x_after):
        raise CheckFailed(restore_message(fn, x, x_after, h))
    tol = CENTERED_TOL if kind == "centered" else FORWARD_TOL
    check_close(grad, exact, fn, "the numerical gradient (against the exact gradient)", describe_step(x, h), tol,
                numerical_hint(kind, params, x, h, grad, x_after))
    note(f"{fn} evaluated f {calls} times for an x of {x.size} entries.")


@pytest.mark.points(2)
def test_numerical_gradient_centered_known_functions(student, public_rng):
    """numerical_gradient_centered matches the exact gradient of a known smooth function at a scalar
    (0-d array), a vector and a matrix x, to 1e-7."""
    cases = [((), None), ((5,), 1e-4), ((4, 3), 1e-4), ((4, 3), None)]
    require_numerical_gradient(student, "centered", public_rng, cases, CENTERED_TOL)


@pytest.mark.points(1)
def test_numerical_gradient_forward_known_functions(student, public_rng):
    """numerical_gradient_forward matches the exact gradient of a known smooth function at a scalar
    (0-d array), a vector and a matrix x, to 1e-3 (its error is of order h)."""
    cases = [((), None), ((5,), 1e-5), ((4, 3), 1e-5)]
    require_numerical_gradient(student, "forward", public_rng, cases, FORWARD_TOL)


@pytest.mark.points(2)
def test_numerical_gradient_error_order(student, public_rng):
    """When h shrinks 10 times, the forward difference's error shrinks about 10 times (order h) and the
    centered difference's about 100 times (order h ** 2)."""
    for kind in ("forward", "centered"):
        check_error_order(student, kind, public_rng, (6,), 1e-2, 1e-3)


@pytest.mark.points(1)
def test_numerical_gradient_input_restored(student, public_rng, note):
    """Both numerical gradients leave x as they found it (every perturbed entry restored), and their
    values are right."""
    for kind in ("forward", "centered"):
        check_input_restored(student, kind, public_rng, (3, 4), 1e-4, note)


# --- random search and random local search ---------------------------------------------------

def quadratic_problem(rng, n):
    """A (n, n) symmetric with eigenvalues in [0.5, 2] and b (n,): f(x) = 0.5 x·Ax - b·x is convex."""
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (Q * rng.uniform(0.5, 2.0, n)) @ Q.T
    return 0.5 * (A + A.T), rng.standard_normal(n)


def random_search_draws(f, shape, num_tries, scale, seed):
    """The contract's tries, in order, and their losses: one scale * standard_normal(shape) each."""
    rng = np.random.default_rng(seed)
    tries = scale * rng.standard_normal((num_tries,) + tuple(shape))
    return tries, np.array([f(t) for t in tries])


def local_search_path(f, W0, num_tries, step_size, seed, accept_every_step=False):
    """(W, loss) of the contract's random local search (or of the variant that keeps every step)."""
    rng = np.random.default_rng(seed)
    steps = step_size * rng.standard_normal((num_tries,) + W0.shape)
    current, current_loss = W0.copy(), f(W0)
    for step in steps:
        candidate = current + step
        candidate_loss = f(candidate)
        if accept_every_step or candidate_loss < current_loss:
            current, current_loss = candidate, candidate_loss
    return current, current_loss


def student_search(student, target, fn, args, kwargs, shape):
    value = student.call(target, *args, **kwargs)
    W, loss = expect_pair(value, fn, "W", "loss")
    return expect_array(W, shape, fn, "the weights"), expect_number(loss, fn, "the loss")


def require_random_search(student, A, b, shape, num_tries, scale, seed):
    fn = "random_search"
    f = functions.quadratic(A, b)
    settings = dict(num_tries=num_tries, scale=scale, seed=seed)
    on = f"shape={shape}, num_tries={num_tries}, scale={scale:g}, seed={seed}"
    best_W, best_loss = student_search(student, RANDOM_SEARCH, fn, (trusted(f, shape, "loss_fn"), shape), settings,
                                       shape)
    check_close(best_loss, f(best_W), fn, "best_loss (against loss_fn(best_W) of the best_W returned)", on, PATH_TOL,
                "return the loss of the weights you return: keep the best W and its loss together.")
    tries, losses = random_search_draws(f, shape, num_tries, scale, seed)
    best = int(np.argmin(losses))
    hint = ("best_W is none of the weights that the contract draws: with rng = np.random.default_rng(seed), "
            "each try draws scale * rng.standard_normal(shape), one draw per try, in order.")
    found = [k for k in range(num_tries) if matches(best_W, tries[k], 1e-12)]
    if found and found[-1] == num_tries - 1 != best:
        hint = "best_W is the last W tried: keep the W with the lowest loss seen so far."
    elif found:
        hint = (f"best_W is try number {found[0] + 1}, with loss {losses[found[0]]:.6g}, but try {best + 1} has "
                f"the lower loss {losses[best]:.6g}: keep the W with the lowest loss (the first one on ties).")
    check_close(best_W, tries[best], fn, "best_W (against the best of the contract's draws)", on, 1e-12, hint)
    check_close(best_loss, float(losses[best]), fn, "best_loss (against the lowest loss seen)", on, PATH_TOL)
    return best_W, best_loss


def require_local_search(student, A, b, W0, num_tries, step_size, seed):
    fn = "random_local_search"
    f = functions.quadratic(A, b)
    on = f"{describe_shapes(W0=W0)}, num_tries={num_tries}, step_size={step_size:g}, seed={seed}"
    W, loss = student_search(student, LOCAL_SEARCH, fn, (trusted(f, W0.shape, "loss_fn"), W0),
                             dict(num_tries=num_tries, step_size=step_size, seed=seed), W0.shape)
    check_close(loss, f(W), fn, "the loss returned (against loss_fn(W) of the W returned)", on, PATH_TOL,
                "return the loss of the weights you return: update W and its loss together.")
    expected_W, expected_loss = local_search_path(f, W0, num_tries, step_size, seed)
    hint = ("W is not where the contract's steps lead: with rng = np.random.default_rng(seed), each try draws "
            "step_size * rng.standard_normal(W.shape) and moves there only when the loss drops.")
    if matches(W, local_search_path(f, W0, num_tries, step_size, seed, accept_every_step=True)[0]):
        hint = "W moved by every step: keep a step only when it makes the loss strictly lower."
    elif matches(W, W0, 1e-12):
        hint = "W is still W0: move to W + step whenever its loss is lower than the current loss."
    check_close(W, expected_W, fn, "W (against the contract's random local search)", on, 1e-12, hint)
    check_close(loss, expected_loss, fn, "the loss returned", on, PATH_TOL)
    return W, loss


@pytest.mark.points(1)
def test_random_search_follows_the_seed(student, public_rng):
    """random_search returns the best of the contract's seeded draws (scale * standard_normal(shape) per
    try) and the lowest loss it saw."""
    A, b = quadratic_problem(public_rng, 12)
    require_random_search(student, A, b, (4, 3), 40, 0.5, int(public_rng.integers(2**31)))


@pytest.mark.points(1)
def test_random_local_search_follows_the_seed(student, public_rng):
    """random_local_search follows the contract's seeded steps, keeps a step only when the loss drops,
    and returns the final W and its loss."""
    A, b = quadratic_problem(public_rng, 12)
    W0 = public_rng.standard_normal((3, 4))
    require_local_search(student, A, b, W0, 60, 0.2, int(public_rng.integers(2**31)))


# --- gradient descent and minibatch SGD -------------------------------------------------------

def descent_path(loss_grad, W0, learning_rate, num_iters, data=None, batch_size=None, seed=None,
                 sign=1.0, record_after=False, replace=True):
    """(W, loss history) of the contract's descent: full batch (data None) or minibatch on data (X, y).

    `sign`, `record_after` and `replace` switch on known mistakes (uphill steps, the loss recorded
    after the update, batches drawn without replacement) to recognise them in a student's run.
    """
    rng = np.random.default_rng(seed)
    W = np.array(W0, dtype=np.float64)
    history = []
    for _iteration in range(num_iters):
        batch = ()
        if data is not None:
            picks = rng.choice(data[0].shape[0], batch_size, replace=replace)
            batch = (data[0][picks], data[1][picks])
        loss, grad = loss_grad(W, *batch)
        W = W - sign * learning_rate * grad
        if record_after:
            loss, _ = loss_grad(W, *batch)
        history.append(loss)
    return W, np.array(history)


def expect_descent(value, shape, num_iters, fn):
    W, history = expect_pair(value, fn, "W", "loss_history")
    W = expect_array(W, shape, fn, "W")
    if not isinstance(history, (list, tuple)) or len(history) != num_iters:
        found = f"{len(history)} losses" if isinstance(history, (list, tuple)) else kind_of(history)
        raise CheckFailed(f"{fn} returned {found} as loss_history for num_iters={num_iters}; expected a list of "
                          f"{num_iters} losses, one per iteration (the loss before that iteration's update).")
    return W, np.array([expect_number(v, fn, "each loss in loss_history") for v in history])


def descent_hints(run, W, history, hints):
    """The hint of the first known-mistake run (`run(**change)`) that the student's W and history reproduce."""
    for change, hint in hints:
        try:
            wrong_W, wrong_history = run(**change)
        except ValueError:  # e.g. a batch without replacement larger than the data
            continue
        if matches(W, wrong_W) and matches(history, wrong_history):
            return hint
    return ""


DESCENT_MISTAKES = [
    (dict(record_after=True), "loss_history holds the loss after each update; record each iteration's loss "
                              "before its update (entry 0 is the loss at W0)."),
    (dict(sign=-1.0), "W moves uphill: subtract learning_rate times the gradient."),
]
MINIBATCH_MISTAKES = DESCENT_MISTAKES + [
    (dict(replace=False), "the batches are drawn without replacement; the contract draws each batch with "
                          "rng.choice(N, batch_size, replace=True)."),
]


def compare_descent(fn, W, history, expected_W, expected_history, on, hint, tol=PATH_TOL):
    check_close(history[0], float(expected_history[0]), fn, "loss_history[0] (the loss at W0, before any update)",
                on, tol, hint)
    check_close(W, expected_W, fn, "W after the last update", on, tol, hint)
    check_close(history, expected_history, fn, "loss_history", on, tol, hint)


def require_gradient_descent(student, name, args, W0, learning_rate, num_iters, expected=None):
    """The student's gradient_descent on `functions.<name>(*args)` against the contract (or `expected`,
    the reference's run)."""
    fn = "gradient_descent"
    loss_grad = getattr(functions, name)(*args)
    loss_grad_ref = trusted(loss_grad, W0.shape, "loss_grad_fn")
    on = f"{describe_shapes(W0=W0)}, learning_rate={learning_rate:g}, num_iters={num_iters}"
    W, history = expect_descent(student.call(GRADIENT_DESCENT, loss_grad_ref, W0, learning_rate, num_iters),
                                W0.shape, num_iters, fn)

    def run(**change):
        return descent_path(loss_grad, W0, learning_rate, num_iters, **change)
    expected_W, expected_history = expected if expected is not None else run()
    compare_descent(fn, W, history, expected_W, np.asarray(expected_history), on,
                    descent_hints(run, W, history, DESCENT_MISTAKES))


def require_minibatch_sgd(student, num_classes, reg, W0, X, y, learning_rate, num_iters, batch_size, seed,
                          expected=None):
    """The student's minibatch_sgd against the contract (or `expected`, the reference's run)."""
    fn = "minibatch_sgd"
    loss_grad_ref = trusted_batch_loss_grad(num_classes, reg, X.shape[1])
    loss_grad = functions.least_squares_batch_loss_grad(num_classes, reg)
    on = (f"{describe_shapes(W0=W0, X=X)}, learning_rate={learning_rate:g}, num_iters={num_iters}, "
          f"batch_size={batch_size}, seed={seed}")
    args = (loss_grad_ref, W0, X, y, learning_rate, num_iters, batch_size, seed)
    W, history = expect_descent(student.call(MINIBATCH_SGD, *args), W0.shape, num_iters, fn)
    _, again = expect_descent(student.call(MINIBATCH_SGD, *args), W0.shape, num_iters, fn)
    if not np.array_equal(history, again):
        differ = int(np.count_nonzero(history != again))
        raise CheckFailed(f"{fn}: two runs with the same seed gave different loss histories on {on}: {differ} of "
                          f"their {num_iters} losses differ; expected the same seed to give the same batches and so "
                          "the same run.\nHint: draw every batch from rng = np.random.default_rng(seed), created once "
                          "from the seed argument, not from np.random (np.random.choice, np.random.randint) or a "
                          "generator made without the seed.")

    def run(**change):
        return descent_path(loss_grad, W0, learning_rate, num_iters, data=(X, y), batch_size=batch_size,
                            seed=seed, **change)
    expected_W, expected_history = expected if expected is not None else run()
    hint = descent_hints(run, W, history, MINIBATCH_MISTAKES) or (
        "the batches differ from the contract's: with rng = np.random.default_rng(seed), each iteration draws "
        "rng.choice(N, batch_size, replace=True), and nothing else is drawn from rng.")
    compare_descent(fn, W, history, expected_W, np.asarray(expected_history), on, hint)


def classification_data(rng, N, D, C):
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, size=N)
    return X, y, 0.1 * rng.standard_normal((D, C))


@pytest.mark.points(2)
def test_gradient_descent_follows_the_contract(student, public_rng):
    """gradient_descent on a quadratic: one loss per iteration, the loss before each update (entry 0 at
    W0), and the step W - learning_rate * dW at every iteration."""
    A, b = quadratic_problem(public_rng, 6)
    W0 = public_rng.standard_normal((3, 2))
    require_gradient_descent(student, "quadratic_loss_grad", (A, b), W0, 0.3, 15)


@pytest.mark.points(2)
def test_minibatch_sgd_follows_the_contract(student, public_rng):
    """minibatch_sgd on a least-squares linear classifier: batches drawn with rng.choice(N, batch_size,
    replace=True) from the seed, the batch loss before each update, reproducible runs."""
    X, y, W0 = classification_data(public_rng, 40, 5, 3)
    require_minibatch_sgd(student, 3, 0.01, W0, X, y, 0.2, 12, 8, int(public_rng.integers(2**31)))


@pytest.mark.points(1)
def test_optimizers_leave_their_inputs_unchanged(student, public_rng):
    """random_local_search, gradient_descent and minibatch_sgd leave W0, X and y unchanged, and their
    values are right."""
    A, b = quadratic_problem(public_rng, 6)
    W0 = public_rng.standard_normal((3, 2))
    loss_ref = trusted(functions.quadratic(A, b), W0.shape, "loss_fn")
    check_unchanged(student, LOCAL_SEARCH, (loss_ref, W0, 20, 0.2, 7),
                    ("loss_fn", "W0", "num_tries", "step_size", "seed"), "random_local_search")
    require_local_search(student, A, b, W0, 20, 0.2, 7)
    descent_ref = trusted(functions.quadratic_loss_grad(A, b), W0.shape, "loss_grad_fn")
    check_unchanged(student, GRADIENT_DESCENT, (descent_ref, W0, 0.3, 5),
                    ("loss_grad_fn", "W0", "learning_rate", "num_iters"), "gradient_descent")
    require_gradient_descent(student, "quadratic_loss_grad", (A, b), W0, 0.3, 5)
    X, y, W0 = classification_data(public_rng, 30, 4, 3)
    batch_ref = trusted_batch_loss_grad(3, 0.01, X.shape[1])
    check_unchanged(student, MINIBATCH_SGD, (batch_ref, W0, X, y, 0.2, 5, 10, 3),
                    ("loss_grad_fn", "W0", "X", "y", "learning_rate", "num_iters", "batch_size", "seed"),
                    "minibatch_sgd")
    require_minibatch_sgd(student, 3, 0.01, W0, X, y, 0.2, 5, 10, 3)


# --- update rules ----------------------------------------------------------------------------

SGD_KEYS = ("learning_rate",)
MOMENTUM_KEYS = ("learning_rate", "momentum", "velocity")
ADAM_KEYS = ("learning_rate", "beta1", "beta2", "epsilon", "m", "v", "t")
ARRAY_KEYS = ("velocity", "m", "v")


def expect_update(value, w, fn, keys, nonfinite_hint=""):
    """(next_w, config) from an update rule's return value, config holding `keys`."""
    next_w, config = expect_pair(value, fn, "next_w", "config")
    if isinstance(next_w, np.ndarray) and next_w.dtype.kind == "f" and not np.all(np.isfinite(next_w)):
        raise CheckFailed(f"{fn} returned next_w with nan/inf entries on {describe_shapes(w=w)}; expected finite "
                          "values." + (f"\nHint: {nonfinite_hint}" if nonfinite_hint else ""))
    next_w = expect_array(next_w, w.shape, fn, "next_w")
    if not isinstance(config, dict):
        raise CheckFailed(f"{fn} should return (next_w, config) with config a dictionary; it returned "
                          f"{kind_of(config)} as config.")
    missing = [k for k in keys if k not in config]
    if missing:
        raise CheckFailed(f"{fn} returned a config without {', '.join(repr(k) for k in missing)}; keep the "
                          f"defaults that the stub fills in and store the state under its name ({', '.join(keys)}).")
    for key in keys:
        if key in ARRAY_KEYS:
            expect_array(config[key], w.shape, fn, f"config[{key!r}]")
        else:
            expect_number(config[key], fn, f"config[{key!r}]")
    return next_w, config


def update(student, target, w, dw, config, keys, nonfinite_hint=""):
    fn = target.split(".")[-1]
    return expect_update(student.call(target, w, dw, config), w, fn, keys, nonfinite_hint)


def step_hint(step, dw, learning_rate):
    return first_hint(step, [
        (learning_rate * dw, "w moves uphill: subtract learning_rate times dw."),
        (-dw, "the step is the whole gradient: multiply dw by the learning rate."),
        (np.zeros_like(dw), "next_w equals w: the step is missing."),
    ])


def require_sgd(student, rng):
    fn = "sgd"
    w = rng.standard_normal((4, 3))
    dw = rng.standard_normal(w.shape)
    next_w, config = update(student, SGD, w, dw, None, SGD_KEYS)
    check_close(expect_number(config["learning_rate"], fn, "config['learning_rate']"), 1e-2, fn,
                "config['learning_rate'] with config=None (the default)", describe_shapes(w=w), 0)
    check_close(next_w - w, -1e-2 * dw, fn, "the step next_w - w", f"{describe_shapes(w=w)}, config=None",
                1e-9, step_hint(next_w - w, dw, 1e-2))
    config = {"learning_rate": 0.3}
    for k in range(3):
        dw = rng.standard_normal(w.shape)
        next_w, config = update(student, SGD, w, dw, config, SGD_KEYS)
        check_close(next_w - w, -0.3 * dw, fn, f"the step next_w - w at step {k + 1}",
                    f"{describe_shapes(w=w)}, learning_rate=0.3", 1e-9, step_hint(next_w - w, dw, 0.3))
        w = next_w


def require_momentum(student, rng):
    fn = "sgd_momentum"
    w = rng.standard_normal((4, 3))
    dw = rng.standard_normal(w.shape)
    on = describe_shapes(w=w)
    next_w, config = update(student, MOMENTUM, w, dw, None, MOMENTUM_KEYS)
    for key, default in (("learning_rate", 1e-2), ("momentum", 0.9)):
        check_close(float(config[key]), default, fn, f"config[{key!r}] with config=None (the default)", on, 0)
    check_close(next_w - w, -1e-2 * dw, fn, "the first step next_w - w (from zero velocity, like SGD)",
                f"{on}, config=None", 1e-9, step_hint(next_w - w, dw, 1e-2))
    config = {"learning_rate": 0.1, "momentum": 0.0}
    for k in range(3):
        dw = rng.standard_normal(w.shape)
        next_w, config = update(student, MOMENTUM, w, dw, config, MOMENTUM_KEYS)
        check_close(next_w - w, -0.1 * dw, fn, f"the step next_w - w at step {k + 1} with momentum=0 (plain SGD)",
                    f"{on}, learning_rate=0.1", 1e-9, step_hint(next_w - w, dw, 0.1))
        w = next_w
    dw = rng.uniform(0.5, 1.5, w.shape) * rng.choice([-1.0, 1.0], w.shape)
    config = {"learning_rate": 0.1, "momentum": 0.9}
    steps = []
    for _ in range(3):
        next_w, config = update(student, MOMENTUM, w, dw, config, MOMENTUM_KEYS)
        steps.append(next_w - w)
        w = next_w
    lengths = [float(np.linalg.norm(s)) for s in steps]
    downhill = all(float(np.sum(s * -dw)) > 0.999 * np.linalg.norm(s) * np.linalg.norm(dw) for s in steps)
    if not (downhill and lengths[0] < lengths[1] < lengths[2]):
        hint = ""
        if matches(steps[1], steps[0], 1e-9):
            hint = ("the second step repeats the first: the velocity is not carried over; store the new "
                    "velocity in config['velocity'].")
        raise CheckFailed(
            f"{fn}: with the same gradient dw at three steps ({on}, learning_rate=0.1, momentum=0.9) every step "
            f"should go along -dw and be longer than the one before (the velocity accumulates); the steps have "
            f"lengths {', '.join(f'{n:.4g}' for n in lengths)}"
            f"{'' if downhill else ' and do not all point along -dw'}." + (f"\nHint: {hint}" if hint else ""))


ADAM_T_HINT = ("increment config['t'] before using it: at the first step t must already be 1, otherwise the "
               "bias corrections divide by 1 - beta1 ** 0 = 0.")


def require_adam(student, rng):
    fn = "adam"
    w = rng.standard_normal((4, 3))
    dw = rng.uniform(0.5, 2.0, w.shape) * rng.choice([-1.0, 1.0], w.shape)
    on = describe_shapes(w=w)
    next_w, config = update(student, ADAM, w, dw, None, ADAM_KEYS, ADAM_T_HINT)
    defaults = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    for key, default in defaults.items():
        check_close(float(config[key]), default, fn, f"config[{key!r}] with config=None (the default)", on, 0)
    config = {"learning_rate": 0.01}
    for k in range(4):
        next_w, config = update(student, ADAM, w, dw, config, ADAM_KEYS, ADAM_T_HINT)
        if float(config["t"]) != k + 1:
            raise CheckFailed(f"{fn}: config['t'] is {config['t']} after step {k + 1}; it counts the steps taken "
                              "(t = t + 1 at every call, starting from 0).")
        step = next_w - w
        # With bias correction, a gradient that stays the same gives m_hat = dw and v_hat = dw ** 2 at every
        # step, so each entry moves by learning_rate (up to epsilon), against the sign of dw.
        hint = ""
        if matches(np.abs(step), 0.01 * (1 - 0.9 ** (k + 1)) / np.sqrt(1 - 0.999 ** (k + 1)) * np.ones(w.shape), 1e-4):
            hint = ("the step is learning_rate * m / sqrt(v): divide m and v by 1 - beta1 ** t and 1 - beta2 ** t "
                    "(the bias correction) before using them.")
        check_close(np.abs(step), np.full(w.shape, 0.01), fn,
                    f"|next_w - w| at step {k + 1} with the same gradient at every step (about learning_rate)",
                    f"{on}, learning_rate=0.01", 1e-6, hint)
        if not np.all(np.sign(step) == -np.sign(dw)):
            raise CheckFailed(f"{fn}: at step {k + 1} some entries of w move along the gradient; Adam steps "
                              "against the sign of dw.")
        w = next_w


@pytest.mark.points(1)
def test_sgd_update(student, public_rng):
    """sgd steps by -learning_rate * dw (default learning rate 1e-2) and returns its config."""
    require_sgd(student, public_rng)


@pytest.mark.points(1)
def test_sgd_momentum_update(student, public_rng):
    """sgd_momentum fills its defaults, starts like SGD from zero velocity, equals SGD with momentum=0, and
    with a constant gradient takes longer and longer steps (its velocity is kept in config)."""
    require_momentum(student, public_rng)


@pytest.mark.points(1)
def test_adam_update(student, public_rng):
    """adam fills its defaults, counts its steps in config['t'], and with a constant gradient moves every entry
    by about learning_rate at every step, the first one included (bias correction)."""
    require_adam(student, public_rng)


@pytest.mark.points(1)
def test_update_rules_leave_w_unchanged(student, public_rng):
    """sgd, sgd_momentum and adam leave w and dw unchanged (next_w is a new array), and their steps are
    right."""
    for target, keys, require in ((SGD, SGD_KEYS, require_sgd), (MOMENTUM, MOMENTUM_KEYS, require_momentum),
                                  (ADAM, ADAM_KEYS, require_adam)):
        fn = target.split(".")[-1]
        w = public_rng.standard_normal((3, 5))
        dw = public_rng.uniform(0.5, 2.0, w.shape) * public_rng.choice([-1.0, 1.0], w.shape)
        value = check_unchanged(student, target, (w, dw, None), ("w", "dw", "config"), fn)
        expect_update(value, w, fn, keys)
        require(student, public_rng)


### BEGIN HIDDEN TESTS
# Hidden inputs: functions, shapes (0-d to 3-d), steps h, seeds, settings and configurations.
HIDDEN_SHAPES = ((), (7,), (3, 5), (2, 3, 2))


@pytest.mark.points(2)
def test_numerical_gradients_match_hidden_functions(student, hidden_rng):
    """Both numerical gradients match the exact gradient of hidden functions at scalar, vector, matrix and
    3-d inputs with hidden steps h, and equal the contract's difference quotients at a large h."""
    for kind, tol in (("centered", CENTERED_TOL), ("forward", FORWARD_TOL)):
        fn = f"numerical_gradient_{kind}"
        # A forward difference is off by ~h f''/2: its steps stay small enough for its tolerance.
        low, high = (-5, -4) if kind == "centered" else (-5.5, -5)
        cases = [(shape, float(10 ** hidden_rng.uniform(low, high))) for shape in HIDDEN_SHAPES]
        require_numerical_gradient(student, kind, hidden_rng, cases, tol)
        # At h = 1e-3 the difference quotients tell forward, backward and centered apart; the grader
        # evaluates the contract's quotient itself.
        params, x = wavy_problem(hidden_rng, (4, 3))
        h = 1e-3
        grad, x_after, _ = run_numerical_gradient(student, kind, params, x, h)
        f0, plus, minus = difference_formulas(params, x, h)
        expected = (plus - minus) / (2 * h) if kind == "centered" else (plus - f0) / h
        check_close(grad, expected, fn, f"the numerical gradient (against the {kind} difference quotient)",
                    describe_step(x, h), 1e-8, numerical_hint(kind, params, x, h, grad, x_after))


@pytest.mark.points(1)
def test_numerical_gradient_error_order_hidden(student, hidden_rng):
    """On a hidden function, when h shrinks 4 times the forward error shrinks about 4 times and the
    centered error about 16 times."""
    for kind in ("forward", "centered"):
        check_error_order(student, kind, hidden_rng, (3, 4), 2e-2, 5e-3)


@pytest.mark.points(1)
def test_numerical_gradient_input_restored_hidden(student, hidden_rng, note):
    """Both numerical gradients restore a hidden 3-d x and a 0-d x (with the default h), and their values
    are right."""
    for kind in ("forward", "centered"):
        for shape in ((2, 3, 2), ()):
            check_input_restored(student, kind, hidden_rng, shape, None, note)


@pytest.mark.points(1)
def test_random_search_matches_reference(student, reference, hidden_rng):
    """random_search returns the reference's best_W and best_loss with hidden seeds, shapes and scales."""
    for shape, num_tries in (((5, 2), 30), ((7,), 80)):
        A, b = quadratic_problem(hidden_rng, int(np.prod(shape)))
        scale, seed = float(hidden_rng.uniform(0.1, 1.0)), int(hidden_rng.integers(2**31))
        best_W, best_loss = require_random_search(student, A, b, shape, num_tries, scale, seed)
        ref_W, ref_loss = reference.optimization.random_search(functions.quadratic(A, b), shape, num_tries, scale, seed)
        on = f"shape={shape}, num_tries={num_tries}, scale={scale:g}, seed={seed}"
        check_close(best_W, ref_W, "random_search", "best_W (against the reference)", on, 1e-12)
        check_close(best_loss, ref_loss, "random_search", "best_loss (against the reference)", on, PATH_TOL)


@pytest.mark.points(1)
def test_random_local_search_matches_reference(student, reference, hidden_rng):
    """random_local_search returns the reference's W and loss with hidden seeds, shapes and step sizes."""
    for shape, num_tries in (((2, 5), 50), ((3, 2, 2), 120)):
        A, b = quadratic_problem(hidden_rng, int(np.prod(shape)))
        W0 = hidden_rng.standard_normal(shape)
        step_size, seed = float(hidden_rng.uniform(0.05, 0.5)), int(hidden_rng.integers(2**31))
        W, loss = require_local_search(student, A, b, W0, num_tries, step_size, seed)
        ref_W, ref_loss = reference.optimization.random_local_search(functions.quadratic(A, b), W0, num_tries,
                                                                     step_size, seed)
        on = f"{describe_shapes(W0=W0)}, num_tries={num_tries}, step_size={step_size:g}, seed={seed}"
        check_close(W, ref_W, "random_local_search", "W (against the reference)", on, 1e-12)
        check_close(loss, ref_loss, "random_local_search", "the loss (against the reference)", on, PATH_TOL)


@pytest.mark.points(2)
def test_gradient_descent_matches_reference(student, reference, hidden_rng):
    """gradient_descent follows the reference trajectory on a hidden quadratic and on a small least-squares
    linear classifier."""
    A, b = quadratic_problem(hidden_rng, 8)
    W0 = hidden_rng.standard_normal((4, 2))
    learning_rate, num_iters = float(hidden_rng.uniform(0.1, 0.6)), int(hidden_rng.integers(10, 30))
    expected = reference.optimization.gradient_descent(functions.quadratic_loss_grad(A, b), W0, learning_rate,
                                                       num_iters)
    require_gradient_descent(student, "quadratic_loss_grad", (A, b), W0, learning_rate, num_iters, expected)
    X, y, W0 = classification_data(hidden_rng, 30, 6, 4)
    reg = float(hidden_rng.uniform(1e-3, 1e-1))
    learning_rate, num_iters = float(hidden_rng.uniform(0.05, 0.3)), int(hidden_rng.integers(10, 30))
    expected = reference.optimization.gradient_descent(functions.least_squares_loss_grad(X, y, 4, reg), W0,
                                                       learning_rate, num_iters)
    require_gradient_descent(student, "least_squares_loss_grad", (X, y, 4, reg), W0, learning_rate, num_iters,
                             expected)


@pytest.mark.points(2)
def test_minibatch_sgd_matches_reference(student, reference, hidden_rng):
    """minibatch_sgd follows the reference trajectory with a hidden seed on a least-squares linear
    classifier, for batches of 1, 16 and more rows than the data has."""
    X, y, W0 = classification_data(hidden_rng, 50, 7, 5)
    reg = float(hidden_rng.uniform(1e-3, 1e-1))
    for batch_size in (1, 16, 64):
        learning_rate, num_iters = float(hidden_rng.uniform(0.02, 0.2)), int(hidden_rng.integers(10, 25))
        seed = int(hidden_rng.integers(2**31))
        expected = reference.optimization.minibatch_sgd(functions.least_squares_batch_loss_grad(5, reg), W0, X, y,
                                                        learning_rate, num_iters, batch_size, seed)
        require_minibatch_sgd(student, 5, reg, W0, X, y, learning_rate, num_iters, batch_size, seed, expected)


def with_defaults(config, defaults, w):
    filled = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in (config or {}).items()}
    for key, value in defaults.items():
        filled.setdefault(key, np.zeros_like(w) if value is None else value)
    return filled


def momentum_mistake(w, dw, config, store=True, accumulate_gradient=False):
    """sgd_momentum with a known mistake: velocity not stored, or the v = mu * v + dw convention."""
    c = with_defaults(config, {"learning_rate": 1e-2, "momentum": 0.9, "velocity": None}, w)
    if accumulate_gradient:
        v = c["momentum"] * c["velocity"] + dw
        next_w = w - c["learning_rate"] * v
    else:
        v = c["momentum"] * c["velocity"] - c["learning_rate"] * dw
        next_w = w + v
    if store:
        c["velocity"] = v
    return next_w, c


def adam_mistake(w, dw, config, bias_correction=True, t_after_use=False, epsilon_inside=False):
    """adam with a known mistake: no bias correction, t incremented after use, or epsilon under the root."""
    c = with_defaults(config, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
                               "m": None, "v": None, "t": 0}, w)
    t = c["t"] if t_after_use else c["t"] + 1
    c["m"] = c["beta1"] * c["m"] + (1 - c["beta1"]) * dw
    c["v"] = c["beta2"] * c["v"] + (1 - c["beta2"]) * dw ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        m_hat = c["m"] / (1 - c["beta1"] ** t) if bias_correction else c["m"]
        v_hat = c["v"] / (1 - c["beta2"] ** t) if bias_correction else c["v"]
        root = np.sqrt(v_hat + c["epsilon"]) if epsilon_inside else np.sqrt(v_hat) + c["epsilon"]
        next_w = w - c["learning_rate"] * m_hat / root
    c["t"] = c["t"] + 1
    return next_w, c


def rule_trajectory(rule, w, grads, config):
    """[(next_w, config)] of `rule` (a trusted function) over the gradients, each step from the last."""
    steps = []
    for dw in grads:
        # The rule updates the dict it gets: give it a copy, so that the recorded states stay as they were.
        w, config = rule(w, dw, None if config is None else copy_config(config))
        steps.append((w, config))
    return steps


def copy_config(config):
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in config.items()}


def same_steps(steps, others, state_keys):
    return all(matches(s[0], o[0], 1e-6) and all(matches(s[1][k], o[1][k], 1e-6) for k in state_keys)
               for s, o in zip(steps, others))


def compare_update_rule(student, target, keys, state_keys, reference_rule, mistakes, w, grads, config, on):
    """The student's update rule over `grads`, each step fed its own previous config, against the reference."""
    fn = target.split(".")[-1]
    mine, current, student_config = [], w, None if config is None else dict(config)
    for dw in grads:
        current, student_config = update(student, target, current, dw, student_config, keys)
        mine.append((current, student_config))
    expected = rule_trajectory(reference_rule, w, grads, config)
    hint = ""
    for (mistake, change), text in mistakes:
        wrong = rule_trajectory(lambda a, b, c: mistake(a, b, c, **change), w, grads, config)
        # A mistake that makes no difference on these inputs (epsilon's place when epsilon is tiny) is no hint.
        if same_steps(mine, wrong, state_keys) and not same_steps(expected, wrong, state_keys):
            hint = text
            break
    tol = 1e-4 if w.dtype == np.float32 else 1e-7
    for k, ((next_w, state), (ref_w, ref_state)) in enumerate(zip(mine, expected)):
        where = f"{on}, step {k + 1} of {len(grads)}"
        check_close(next_w.astype(np.float64), ref_w.astype(np.float64), fn, "next_w (against the reference)",
                    where, tol, hint)
        for key in state_keys:
            actual = state[key]
            actual = actual.astype(np.float64) if isinstance(actual, np.ndarray) else float(actual)
            ref = ref_state[key]
            ref = ref.astype(np.float64) if isinstance(ref, np.ndarray) else float(ref)
            check_close(actual, ref, fn, f"config[{key!r}] after the step (against the reference)", where,
                        0 if key == "t" else tol,
                        hint or "next_w is right but the stored state is not: the next call starts from it.")


def hidden_steps(rng, w, count):
    return [rng.standard_normal(w.shape).astype(w.dtype) for _ in range(count)]


@pytest.mark.points(1)
def test_sgd_matches_reference(student, reference, hidden_rng):
    """sgd matches the reference over several steps with hidden learning rates, in float64 and float32."""
    for dtype in (np.float64, np.float32):
        w = hidden_rng.standard_normal((5, 3)).astype(dtype)
        config = {"learning_rate": float(10 ** hidden_rng.uniform(-3, 0))}
        on = f"{describe_shapes(w=w)}, learning_rate={config['learning_rate']:g}"
        compare_update_rule(student, SGD, SGD_KEYS, (), reference.optimization.sgd, [], w,
                            hidden_steps(hidden_rng, w, 4), config, on)


@pytest.mark.points(1)
def test_sgd_momentum_matches_reference(student, reference, hidden_rng):
    """sgd_momentum matches the reference's next_w and velocity over several steps, from config=None and
    from a hidden mid-training state."""
    mistakes = [
        ((momentum_mistake, dict(store=False)), "config['velocity'] is not updated: store the new velocity there, "
                                                "the next call continues from it."),
        ((momentum_mistake, dict(accumulate_gradient=True)),
         "the velocity follows v = momentum * v + dw with next_w = w - learning_rate * v; the contract's (CS231n) "
         "velocity is v = momentum * v - learning_rate * dw with next_w = w + v."),
    ]
    w = hidden_rng.standard_normal((4, 6))
    compare_update_rule(student, MOMENTUM, MOMENTUM_KEYS, ("velocity",), reference.optimization.sgd_momentum,
                        mistakes, w, hidden_steps(hidden_rng, w, 5), None, f"{describe_shapes(w=w)}, config=None")
    for dtype in (np.float64, np.float32):
        w = hidden_rng.standard_normal((3, 4)).astype(dtype)
        config = {"learning_rate": float(hidden_rng.uniform(0.01, 0.2)),
                  "momentum": float(hidden_rng.uniform(0.5, 0.95)),
                  "velocity": (0.1 * hidden_rng.standard_normal(w.shape)).astype(dtype)}
        on = f"{describe_shapes(w=w)}, learning_rate={config['learning_rate']:.3g}, momentum={config['momentum']:.3g}"
        compare_update_rule(student, MOMENTUM, MOMENTUM_KEYS, ("velocity",), reference.optimization.sgd_momentum,
                            mistakes, w, hidden_steps(hidden_rng, w, 5), config, on)


@pytest.mark.points(2)
def test_adam_matches_reference(student, reference, hidden_rng):
    """adam matches the reference's next_w, m, v and t over several steps, from config=None and from a hidden
    mid-training state with hidden betas and epsilon."""
    mistakes = [
        ((adam_mistake, dict(t_after_use=True)), ADAM_T_HINT),
        ((adam_mistake, dict(bias_correction=False)), "m and v are used without the bias correction: divide them "
                                                      "by 1 - beta1 ** t and 1 - beta2 ** t."),
        ((adam_mistake, dict(epsilon_inside=True)), "epsilon goes outside the square root: "
                                                    "m_hat / (sqrt(v_hat) + epsilon)."),
    ]
    w = hidden_rng.standard_normal((4, 6))
    compare_update_rule(student, ADAM, ADAM_KEYS, ("m", "v", "t"), reference.optimization.adam, mistakes, w,
                        hidden_steps(hidden_rng, w, 5), None, f"{describe_shapes(w=w)}, config=None")
    for dtype in (np.float64, np.float32):
        w = hidden_rng.standard_normal((3, 4)).astype(dtype)
        config = {"learning_rate": float(10 ** hidden_rng.uniform(-3, -1)),
                  "beta1": float(hidden_rng.uniform(0.5, 0.95)),
                  "beta2": float(hidden_rng.uniform(0.9, 0.9999)), "epsilon": float(10 ** hidden_rng.uniform(-3, -1)),
                  "m": (0.1 * hidden_rng.standard_normal(w.shape)).astype(dtype),
                  "v": (0.1 * hidden_rng.random(w.shape)).astype(dtype), "t": int(hidden_rng.integers(1, 50))}
        on = (f"{describe_shapes(w=w)}, learning_rate={config['learning_rate']:.3g}, beta1={config['beta1']:.3g}, "
              f"beta2={config['beta2']:.5g}, epsilon={config['epsilon']:.3g}, t={config['t']}")
        compare_update_rule(student, ADAM, ADAM_KEYS, ("m", "v", "t"), reference.optimization.adam, mistakes, w,
                            hidden_steps(hidden_rng, w, 5), config, on)
### END HIDDEN TESTS
