"""Numerical gradients, to check analytic ones (after CS231n's gradient_check.py).

Every function perturbs `x` in place, one coordinate at a time, and puts the coordinate back
afterwards, also when `f` raises: `f` sees the very array it was given, and `x` leaves
unchanged.

Precision: the centered difference (f(x + h) - f(x - h)) / 2h has an error of order h**2
from the step plus eps * |f| / h from rounding, where eps is the machine precision of the
arithmetic. With float64 (eps ~ 1e-16) and h = 1e-5 both are tiny, and relative errors below
about 1e-7 are expected for a correct gradient. A float32 `x` is perturbed and evaluated in
float32 (eps ~ 1e-7): x + h itself is rounded, and the rounding term grows to about 1e-2, so
the check can neither confirm nor refute a gradient well. Check with `x.astype(np.float64)`
(and float64 data) instead.
"""
import numpy as np


def eval_numerical_gradient(f, x, verbose=False, h=1e-5):
    """Centered-difference gradient of a scalar function at x.

    Inputs:
    - f: function taking an array of the shape of x and returning a scalar.
    - x: float array of any shape, perturbed in place and restored.
    - verbose: print each coordinate's index and gradient.
    - h: the step of the centered difference.

    Returns grad, an array of the shape and dtype of x with
    grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h).
    """
    _require_float(x, "eval_numerical_gradient")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        ix = it.multi_index
        plus, minus = _evaluate_around(f, x, ix, h, _as_loss)
        grad[ix] = (plus - minus) / (2 * h)
        if verbose:
            print(ix, grad[ix])
        it.iternext()
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical gradient of an array-valued function, contracted with an upstream gradient.

    Inputs:
    - f: function taking an array of the shape of x and returning an array `out`.
    - x: float array of any shape, perturbed in place and restored.
    - df: upstream gradient d(loss)/d(out), an array of the shape of f(x).
    - h: the step of the centered difference.

    Returns dx, an array of the shape and dtype of x with
    dx[i] = sum((f(x + h e_i) - f(x - h e_i)) * df) / (2 h), the numerical d(loss)/dx.
    """
    _require_float(x, "eval_numerical_gradient_array")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        ix = it.multi_index
        # Copies, because f may return x itself or a view of it.
        plus, minus = _evaluate_around(f, x, ix, h, np.array)
        grad[ix] = np.sum((plus - minus) * df) / (2 * h)
        it.iternext()
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None):
    """Compare an analytic gradient with centered differences at a few random coordinates.

    Inputs:
    - f: function taking an array of the shape of x and returning a scalar.
    - x: float array of any shape, perturbed in place and restored.
    - analytic_grad: the gradient of f at x to check, an array of the shape of x.
    - num_checks: how many coordinates to draw (uniformly, with replacement).
    - h: the step of the centered difference.
    - seed: seed of `np.random.default_rng` that draws the coordinates (None: fresh entropy).

    Prints one line per coordinate (numerical, analytic, relative error) and returns the
    largest relative error, as a float.
    """
    _require_float(x, "grad_check_sparse")
    if np.shape(analytic_grad) != x.shape:
        raise ValueError(f"analytic_grad must have the shape of x: expected {x.shape}, "
                         f"found {np.shape(analytic_grad)}.")
    if num_checks < 1:
        raise ValueError(f"num_checks must be at least 1, found {num_checks}.")
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(num_checks):
        ix = tuple(int(i) for i in rng.integers(x.shape))
        plus, minus = _evaluate_around(f, x, ix, h, _as_loss)
        numerical = (plus - minus) / (2 * h)
        analytic = analytic_grad[ix]
        error = rel_error(numerical, analytic)
        print(f"numerical: {numerical:f} analytic: {analytic:f}, relative error: {error:e}")
        worst = max(worst, error)
    return worst


def rel_error(x, y):
    """Largest relative error between x and y (arrays of one shape, or scalars):
    max(|x - y| / max(1e-8, |x| + |y|)), as a float. The 1e-8 floor keeps two zeros at 0."""
    x, y = np.asarray(x), np.asarray(y)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _evaluate_around(f, x, ix, h, keep):
    """Return keep(f(x with x[ix] + h)), keep(f(x with x[ix] - h)); x[ix] is put back
    exactly, also when f raises. `keep` saves f's value before x changes again."""
    old = x[ix]
    try:
        x[ix] = old + h
        plus = keep(f(x))
        x[ix] = old - h
        minus = keep(f(x))
    finally:
        x[ix] = old
    return plus, minus


def _as_loss(value):
    """f's value as a float, with a hint for the common mistake of returning (loss, grad)."""
    try:
        return float(value)
    except TypeError:
        found = (f"an array of shape {value.shape}" if isinstance(value, np.ndarray)
                 else f"a {type(value).__name__}")
        raise TypeError(f"f must return a scalar loss, found {found}. If your function "
                        f"returns (loss, grad), pass lambda x: f(x)[0].") from None


def _require_float(x, caller):
    # An integer x cannot hold x + h: the perturbation would be silently truncated away.
    if not (isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating)):
        found = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"{caller} needs x as a float numpy array (it is perturbed in place): "
                        f"expected float32 or float64, found {found}. "
                        f"Pass np.asarray(x, dtype=np.float64).")
