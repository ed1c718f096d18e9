"""The reference softmax loss (solutions/softmax.py) against the lecture and independent checks."""
import math

import numpy as np
import pytest

from solutions import softmax

KERNELS = [softmax.softmax_loss_naive, softmax.softmax_loss_vectorized]


def centered_differences(f, x, h=1e-5):
    """Gradient of scalar f at x by centered differences, perturbing a copy of x."""
    x = x.astype(np.float64)
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[ix] = h
        grad[ix] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


def logsumexp_loss(scores, y):
    """Mean cross-entropy written as log(1 + sum of exp(s_j - s_max) over j != argmax) + s_max - s_y."""
    total = 0.0
    for s, label in zip(scores, y):
        top = int(np.argmax(s))
        rest = sum(math.exp(v - s[top]) for j, v in enumerate(s) if j != top)
        total += s[top] + math.log1p(rest) - s[label]
    return total / len(y)


def problem(seed, N=7, D=5, C=4, scale=1.0):
    rng = np.random.default_rng(seed)
    W = scale * rng.standard_normal((D, C))
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, size=N)
    return W, X, y


@pytest.mark.parametrize("kernel", KERNELS)
def test_lecture_example_cat_scores(kernel):
    # Lecture "Loss Functions and Optimization": scores 3.2 (cat, correct), 5.1 (car), -1.7 (frog).
    # With X = [[1]] the scores are the single row of W.
    W = np.array([[3.2, 5.1, -1.7]])
    X = np.array([[1.0]])
    y = np.array([0])
    loss, dW = kernel(W, X, y, 0.0)
    exps = [math.exp(3.2), math.exp(5.1), math.exp(-1.7)]
    p_cat = exps[0] / sum(exps)
    assert p_cat == pytest.approx(0.13, abs=5e-3)  # the slide's probability
    assert loss == pytest.approx(-math.log(p_cat), rel=1e-12)
    assert loss == pytest.approx(2.04, abs=5e-3)  # the slide's loss
    assert dW == pytest.approx(np.array([[p_cat - 1, exps[1] / sum(exps), exps[2] / sum(exps)]]))


@pytest.mark.parametrize("kernel", KERNELS)
def test_loss_is_log_num_classes_for_tiny_weights(kernel):
    W, X, y = problem(0, N=50, D=20, C=10, scale=1e-6)
    loss, _ = kernel(W, X, y, 0.0)
    assert loss == pytest.approx(math.log(10), abs=1e-4)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("reg", [0.0, 3.7])
def test_gradient_matches_centered_differences(kernel, reg):
    W, X, y = problem(1)
    loss, dW = kernel(W, X, y, reg)
    numerical = centered_differences(lambda w: kernel(w, X, y, reg)[0], W)
    assert dW.shape == W.shape
    np.testing.assert_allclose(dW, numerical, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("reg", [0.0, 3.7])
def test_loss_matches_independent_formula(kernel, reg):
    W, X, y = problem(2)
    loss, _ = kernel(W, X, y, reg)
    expected = logsumexp_loss(X @ W, y) + reg * float(np.sum(W ** 2))
    assert isinstance(loss, float)
    assert loss == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("reg", [0.0, 0.5])
def test_naive_equals_vectorized(reg):
    W, X, y = problem(3, N=30, D=12, C=6)
    loss_naive, dW_naive = softmax.softmax_loss_naive(W, X, y, reg)
    loss_vec, dW_vec = softmax.softmax_loss_vectorized(W, X, y, reg)
    assert loss_naive == pytest.approx(loss_vec, rel=1e-12)
    np.testing.assert_allclose(dW_naive, dW_vec, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("kernel", KERNELS)
def test_stable_for_large_scores_and_rows_of_different_scale(kernel):
    W, X, y = problem(4, N=6, D=5, C=4)
    # Row scales from 1e-3 to 1e4 make scores from ~1e-3 to ~1e4 in magnitude.
    X = X * np.array([1e4, 3e3, 1.0, 1e-3, -1e4, 10.0])[:, None]
    scores = X @ W
    assert np.abs(scores).max() > 5e3
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, dW = kernel(W, X, y, 0.0)
    assert loss == pytest.approx(logsumexp_loss(scores, y), rel=1e-10)
    # dW = X^T (P - Y) / N, with P = softmax(scores) from the test's own stable form.
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    probs[np.arange(len(y)), y] -= 1
    np.testing.assert_allclose(dW, X.T @ probs / len(y), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("kernel", KERNELS)
def test_inputs_unchanged(kernel):
    W, X, y = problem(5)
    copies = W.copy(), X.copy(), y.copy()
    kernel(W, X, y, 0.3)
    for before, after in zip(copies, (W, X, y)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("kernel", KERNELS)
def test_float32_inputs(kernel):
    W, X, y = problem(6)
    loss64, dW64 = kernel(W, X, y, 0.1)
    loss32, dW32 = kernel(W.astype(np.float32), X.astype(np.float32), y, 0.1)
    assert isinstance(loss32, float)
    assert dW32.dtype == np.float32  # documented: np.result_type(W, X)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    np.testing.assert_allclose(dW32, dW64, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kernel", KERNELS)
def test_float32_with_numpy_float64_reg_keeps_dtype(kernel):
    W, X, y = problem(7)
    _, dW = kernel(W.astype(np.float32), X.astype(np.float32), y, np.float64(0.1))
    assert dW.dtype == np.float32
