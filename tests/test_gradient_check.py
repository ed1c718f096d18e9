"""The gradient-check helpers against functions whose gradients are known in closed form."""
import numpy as np
import pytest

from solutions.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)


def cube_sum(x):
    """f(x) = sum(x**3), whose gradient is 3 x**2."""
    return np.sum(x ** 3)


def failing_on_call(n, f):
    """f, except that its n-th call raises (to see x restored after an error)."""
    calls = []

    def wrapped(x):
        calls.append(1)
        if len(calls) == n:
            raise RuntimeError("f failed")
        return f(x)
    return wrapped


@pytest.fixture
def x():
    return np.random.default_rng(0).standard_normal((3, 4))


# --- rel_error ----------------------------------------------------------------------------

def test_rel_error_takes_the_largest_elementwise_error():
    # |x - y| = (0, 1, 2), |x| + |y| = (2, 5, 6): errors 0, 1/5, 2/6.
    assert rel_error(np.array([1.0, 2.0, -2.0]), np.array([1.0, 3.0, -4.0])) == 2.0 / 6.0


def test_rel_error_floor_keeps_tiny_values_finite():
    assert rel_error(0.0, 0.0) == 0.0
    # |x| + |y| = 1e-9 is below the 1e-8 floor, so the error is 1e-9 / 1e-8.
    assert rel_error(0.0, 1e-9) == pytest.approx(1e-9 / 1e-8)
    assert rel_error(1.0, -1.0) == 1.0


def test_rel_error_returns_a_float():
    assert isinstance(rel_error(np.ones(3), np.ones(3)), float)


# --- eval_numerical_gradient --------------------------------------------------------------

def test_numerical_gradient_matches_analytic(x):
    before = x.copy()
    grad = eval_numerical_gradient(cube_sum, x)
    assert grad.shape == x.shape and grad.dtype == x.dtype
    assert rel_error(grad, 3 * x ** 2) < 1e-7
    assert np.array_equal(x, before)


def test_numerical_gradient_of_a_matrix_function(x):
    # f(W) = sum((A W)**2) / 2 has gradient A^T A W.
    A = np.random.default_rng(1).standard_normal((5, 3))
    grad = eval_numerical_gradient(lambda W: 0.5 * np.sum((A @ W) ** 2), x)
    assert rel_error(grad, A.T @ A @ x) < 1e-7


def test_numerical_gradient_verbose_prints_every_coordinate(x, capsys):
    eval_numerical_gradient(cube_sum, x, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == x.size and lines[0].startswith("(0, 0) ")


def test_numerical_gradient_restores_x_when_f_raises(x):
    before = x.copy()
    with pytest.raises(RuntimeError, match="f failed"):
        eval_numerical_gradient(failing_on_call(4, cube_sum), x)  # raises at x[0, 1] + h
    assert np.array_equal(x, before)


def test_numerical_gradient_float32_is_coarse_but_runs(x):
    x32 = x.astype(np.float32)
    before = x32.copy()
    grad = eval_numerical_gradient(cube_sum, x32)
    assert grad.dtype == np.float32 and np.array_equal(x32, before)
    # The module docstring's advice: float32 rounding swamps h = 1e-5, a float64 copy does not.
    analytic = 3 * before.astype(np.float64) ** 2
    error_32 = rel_error(grad, analytic)
    error_64 = rel_error(eval_numerical_gradient(cube_sum, before.astype(np.float64)), analytic)
    assert error_64 < 1e-7 < error_32 < 1.0


def test_numerical_gradient_refuses_integer_x():
    with pytest.raises(TypeError, match="expected float32 or float64, found int64"):
        eval_numerical_gradient(cube_sum, np.arange(3))


def test_numerical_gradient_explains_a_tuple_valued_f(x):
    with pytest.raises(TypeError, match=r"found a tuple.*lambda x: f\(x\)\[0\]"):
        eval_numerical_gradient(lambda w: (cube_sum(w), 3 * w ** 2), x)


# --- eval_numerical_gradient_array --------------------------------------------------------

def test_array_gradient_of_elementwise_product(x):
    # out = x * y, so d(sum(out * df))/dx = y * df.
    rng = np.random.default_rng(2)
    y, df = rng.standard_normal(x.shape), rng.standard_normal(x.shape)
    before = x.copy()
    dx = eval_numerical_gradient_array(lambda v: v * y, x, df)
    assert dx.shape == x.shape
    assert rel_error(dx, y * df) < 1e-8
    assert np.array_equal(x, before)


def test_array_gradient_of_matrix_product(x):
    # out = x @ W, so dx = df @ W^T.
    rng = np.random.default_rng(3)
    W, df = rng.standard_normal((4, 2)), rng.standard_normal((3, 2))
    dx = eval_numerical_gradient_array(lambda v: v @ W, x, df)
    assert rel_error(dx, df @ W.T) < 1e-8


def test_array_gradient_when_f_returns_x_itself(x):
    # out = x (the same array, mutated by the next perturbation), so dx = df.
    df = np.random.default_rng(4).standard_normal(x.shape)
    assert rel_error(eval_numerical_gradient_array(lambda v: v, x, df), df) < 1e-8


def test_array_gradient_restores_x_when_f_raises(x):
    before = x.copy()
    with pytest.raises(RuntimeError):
        eval_numerical_gradient_array(failing_on_call(2, lambda v: v * 2), x, np.ones_like(x))
    assert np.array_equal(x, before)


# --- grad_check_sparse --------------------------------------------------------------------

def test_sparse_check_small_for_right_gradient(x, capsys):
    before = x.copy()
    worst = grad_check_sparse(cube_sum, x, 3 * x ** 2, num_checks=7, seed=0)
    assert worst < 1e-7
    assert np.array_equal(x, before)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 7
    assert all(line.startswith("numerical: ") and "relative error: " in line for line in lines)


def test_sparse_check_large_for_wrong_gradient(x):
    assert grad_check_sparse(cube_sum, x, 2 * x ** 2, seed=0) > 0.1


def test_sparse_check_returns_the_largest_printed_error(x, capsys):
    worst = grad_check_sparse(cube_sum, x, 3 * x ** 2 + 1e-3, num_checks=5, seed=1)
    printed = [float(line.rsplit(" ", 1)[1]) for line in capsys.readouterr().out.splitlines()]
    assert worst == pytest.approx(max(printed), rel=1e-5)  # printed with 6 digits


def test_sparse_check_is_deterministic_with_a_seed(x, capsys):
    first = grad_check_sparse(cube_sum, x, 2 * x ** 2, seed=5)
    first_out = capsys.readouterr().out
    second = grad_check_sparse(cube_sum, x, 2 * x ** 2, seed=5)
    assert first == second and first_out == capsys.readouterr().out


def test_sparse_check_restores_x_when_f_raises(x):
    before = x.copy()
    with pytest.raises(RuntimeError):
        grad_check_sparse(failing_on_call(3, cube_sum), x, 3 * x ** 2, seed=0)
    assert np.array_equal(x, before)


def test_sparse_check_refuses_a_gradient_of_another_shape(x):
    with pytest.raises(ValueError, match=r"expected \(3, 4\), found \(4, 3\)"):
        grad_check_sparse(cube_sum, x, np.zeros((4, 3)))
