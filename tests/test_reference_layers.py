"""The reference layers (solutions/layers.py) against finite differences and lecture examples."""
import math

import numpy as np
import pytest

from solutions import layers


def centered_differences(f, x, df, h=1e-5):
    """Gradient of sum(f(x) * df) with respect to x by centered differences on copies of x."""
    grad = np.zeros_like(x, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        step = np.zeros_like(x, dtype=np.float64)
        step[ix] = h
        grad[ix] = (np.sum(f(x + step) * df) - np.sum(f(x - step) * df)) / (2 * h)
    return grad


def scalar_differences(f, x, h=1e-5):
    return centered_differences(lambda v: np.array(f(v)), x, np.array(1.0), h)


def test_affine_forward_flattens_each_example():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2, 3))
    w = rng.standard_normal((6, 5))
    b = rng.standard_normal(5)
    out, _ = layers.affine_forward(x, w, b)
    assert out.shape == (4, 5)
    for i in range(4):
        expected = [sum(x[i].ravel()[d] * w[d, m] for d in range(6)) + b[m] for m in range(5)]
        np.testing.assert_allclose(out[i], expected, rtol=1e-12)


def test_affine_backward_matches_finite_differences_and_shapes():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 2, 3))
    w = rng.standard_normal((6, 5))
    b = rng.standard_normal(5)
    dout = rng.standard_normal((4, 5))
    copies = x.copy(), w.copy(), b.copy(), dout.copy()

    _, cache = layers.affine_forward(x, w, b)
    dx, dw, db = layers.affine_backward(dout, cache)
    assert (dx.shape, dw.shape, db.shape) == (x.shape, w.shape, b.shape)
    np.testing.assert_allclose(
        dx, centered_differences(lambda v: layers.affine_forward(v, w, b)[0], x, dout), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(
        dw, centered_differences(lambda v: layers.affine_forward(x, v, b)[0], w, dout), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(
        db, centered_differences(lambda v: layers.affine_forward(x, w, v)[0], b, dout), rtol=1e-7, atol=1e-9)
    for before, after in zip(copies, (x, w, b, dout)):
        np.testing.assert_array_equal(before, after)


def test_relu_forward_and_backward():
    x = np.array([[-2.0, -0.5, 0.0], [0.25, 1.0, 3.0]])
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x_before, dout_before = x.copy(), dout.copy()
    out, cache = layers.relu_forward(x)
    np.testing.assert_array_equal(out, [[0.0, 0.0, 0.0], [0.25, 1.0, 3.0]])
    dx = layers.relu_backward(dout, cache)
    np.testing.assert_array_equal(dx, [[0.0, 0.0, 0.0], [4.0, 5.0, 6.0]])  # 0 at x == 0
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, dout_before)


def test_relu_backward_matches_finite_differences_away_from_zero():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, 4))
    x[np.abs(x) < 1e-2] = 0.5  # keep the finite differences off the kink
    dout = rng.standard_normal(x.shape)
    _, cache = layers.relu_forward(x)
    dx = layers.relu_backward(dout, cache)
    assert dx.shape == x.shape
    np.testing.assert_allclose(
        dx, centered_differences(lambda v: layers.relu_forward(v)[0], x, dout), rtol=1e-7, atol=1e-9)


def test_svm_loss_lecture_example():
    # Lecture "Loss Functions and Optimization": columns cat, car, frog images; losses
    # 2.9, 0 and 12.9, mean 5.27 (rows here are the images, scores per class cat, car, frog).
    scores = np.array([[3.2, 5.1, -1.7],
                       [1.3, 4.9, 2.0],
                       [2.2, 2.5, -3.1]])
    y = np.array([0, 1, 2])
    loss, dx = layers.svm_loss(scores, y)
    assert loss == pytest.approx((2.9 + 0.0 + 12.9) / 3, rel=1e-12)
    assert round(loss, 2) == 5.27
    # Positive margins: (cat image, car), (frog image, cat), (frog image, car).
    expected = np.array([[-1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, -2.0]]) / 3
    np.testing.assert_allclose(dx, expected, rtol=1e-12)


def svm_loss_by_loops(x, y):
    return sum(max(0.0, x[i, j] - x[i, y[i]] + 1.0)
               for i in range(len(y)) for j in range(x.shape[1]) if j != y[i]) / len(y)


def softmax_loss_by_loops(x, y):
    total = 0.0
    for i in range(len(y)):
        top = max(x[i])
        total += top + math.log(sum(math.exp(s - top) for s in x[i])) - x[i, y[i]]
    return total / len(y)


@pytest.mark.parametrize("loss_fn, by_loops", [
    (layers.svm_loss, svm_loss_by_loops),
    (layers.softmax_loss, softmax_loss_by_loops),
])
def test_loss_layers_match_loops_and_finite_differences(loss_fn, by_loops):
    rng = np.random.default_rng(3)
    N, C = 9, 5
    x = rng.standard_normal((N, C))
    y = rng.integers(0, C, size=N)
    if loss_fn is layers.svm_loss:
        # keep every margin at least 1e-3 away from its kink so the differences are exact
        margins = x - x[np.arange(N), y][:, None] + 1
        assert np.abs(margins).min() > 1e-3
    x_before = x.copy()
    loss, dx = loss_fn(x, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(by_loops(x, y), rel=1e-12)
    assert dx.shape == (N, C)
    np.testing.assert_allclose(dx, scalar_differences(lambda v: loss_fn(v, y)[0], x), rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(x, x_before)


def test_softmax_loss_lecture_example():
    # Scores 3.2 (cat, correct), 5.1, -1.7: loss -ln(0.13) = 2.04 on the slide.
    loss, dx = layers.softmax_loss(np.array([[3.2, 5.1, -1.7]]), np.array([0]))
    exps = np.exp([3.2, 5.1, -1.7])
    assert loss == pytest.approx(-math.log(exps[0] / exps.sum()), rel=1e-12)
    assert round(loss, 2) == 2.04
    np.testing.assert_allclose(dx, [exps / exps.sum() - [1, 0, 0]], rtol=1e-12)


def test_softmax_loss_is_stable_for_large_scores():
    x = np.array([[1e4, 0.0, -1e4], [3e4, 3e4 + 1.0, 3e4 - 2.0], [1e-3, 2e-3, 0.0]])
    y = np.array([2, 0, 1])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, dx = layers.softmax_loss(x, y)
    assert loss == pytest.approx(softmax_loss_by_loops(x, y), rel=1e-12)
    assert np.isfinite(dx).all()
    np.testing.assert_allclose(dx.sum(axis=1), 0.0, atol=1e-12)  # softmax minus one-hot
