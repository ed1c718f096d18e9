"""What every checks module needs: validate what came back, compare, gradient-check, explain.

Every failure raises `CheckFailed` with a message a student can act on: which function, what
was compared, on which shapes, the relative error against the tolerance, and a hint when one
applies. Values from the worker are already plain numbers and numpy arrays (wire.py); these
helpers check that they are the numbers the contract asks for.
"""
import math

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
    """Raise CheckFailed unless `actual` matches `expected` within relative `tol`."""
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
    values = student.map(target, calls)
    losses = [expect_number(v[0] if isinstance(v, (tuple, list)) and v else v, target) for v in values]
    return np.array([(losses[2 * k] - losses[2 * k + 1]) / (2 * h) for k in range(len(coords))])


def check_gradient(student, target, W, args, analytic, fn, on, rng, num_coords=20, tol=1e-6):
    """Compare the student's analytic gradient with the numerical gradient of their own loss.

    CS231n's measure per coordinate: |num - ana| / max(|num| + |ana|, 1e-8), maximum over the
    sampled coordinates. Returns that maximum; raises CheckFailed above `tol`.
    """
    flat = rng.choice(W.size, size=min(num_coords, W.size), replace=False)
    coords = [np.unravel_index(i, W.shape) for i in flat]
    numerical = numerical_gradient_at(student, target, W, args, coords)
    analytic_values = np.array([analytic[c] for c in coords], dtype=np.float64)
    errors = np.abs(numerical - analytic_values) / np.maximum(1e-8, np.abs(numerical) + np.abs(analytic_values))
    worst = int(np.argmax(errors))
    if errors[worst] > tol:
        c = tuple(int(i) for i in coords[worst])
        raise CheckFailed(
            f"{fn}: gradient check failed on {on}. At dW{list(c)} your analytic gradient is "
            f"{analytic_values[worst]:.6g} but the numerical gradient of your own loss is "
            f"{numerical[worst]:.6g} (relative error {errors[worst]:.2e}, tolerance {tol:.0e}). "
            "Your loss and your gradient disagree: derive dW from the loss you compute.")
    return float(errors.max())


def check_loop_free(lib_dir, module, function):
    """Raise CheckFailed listing every loop found in lib/<module>.py's `function` or its helpers."""
    try:
        findings = LoopFinder(lib_dir).find(module, function)
    except LookupError as exc:
        raise CheckFailed(f"{exc}; keep the function's name and signature from the stub.") from None
    except SyntaxError as exc:
        raise CheckFailed(f"lib/{module}.py does not parse: {exc}.") from None
    if findings:
        listed = "; ".join(str(f) for f in findings)
        raise CheckFailed(f"{function} must be vectorized (no Python loops, comprehensions or recursion, "
                          f"also in the lib helpers it calls), but it has {listed}. Rewrite it with "
                          "whole-array numpy operations.")


def check_unchanged(student, target, args, names, fn):
    """Call the student's `target(*args)` and raise CheckFailed naming every input it modified.

    `names` name the positional arguments, e.g. ("W", "X", "y", "reg"). Returns the call's value.
    """
    value, modified = student.call_reporting_mutation(target, *args)
    changed = [names[i] for i in modified]
    if changed:
        raise CheckFailed(f"{fn} modified its input{'s' if len(changed) > 1 else ''} "
                          f"{', '.join(changed)}; it must leave them unchanged (work on a copy, e.g. "
                          "`W = W.copy()`, or build new arrays instead of `+=` on an input).")
    return value
