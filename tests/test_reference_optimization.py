"""The reference optimization kernels (solutions/optimization.py) against closed forms and
draw-for-draw reproductions of the contract's randomness."""
import math

import numpy as np
import pytest

from solutions import optimization as opt

NUMERICAL = [opt.numerical_gradient_forward, opt.numerical_gradient_centered]


def sum_exp(x):
    return float(np.sum(np.exp(x)))


# --- numerical gradients -------------------------------------------------------------------

@pytest.mark.parametrize("numerical_gradient", NUMERICAL)
def test_numerical_gradient_of_known_functions(numerical_gradient):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    A = rng.standard_normal((4, 4))
    cases = [
        (sum_exp, np.exp(x)),                                   # d/dx sum(e^x) = e^x
        (lambda v: float(np.sum(v @ A * v)), x @ (A + A.T)),    # quadratic form, row by row
        (lambda v: float(np.sum(np.sin(v))), np.cos(x)),
    ]
    for f, exact in cases:
        grad = numerical_gradient(f, x)
        assert grad.shape == x.shape
        np.testing.assert_allclose(grad, exact, rtol=1e-4, atol=1e-6)


def error_at(numerical_gradient, h):
    x = np.array([0.3, -0.7, 1.1])
    return np.abs(numerical_gradient(sum_exp, x, h=h) - np.exp(x)).max()


@pytest.mark.parametrize("numerical_gradient, ratio", [
    (opt.numerical_gradient_forward, 2.0),   # error ~ h f''/2: halving h halves it
    (opt.numerical_gradient_centered, 4.0),  # error ~ h^2 f'''/6: halving h quarters it
])
def test_error_order_when_h_halves(numerical_gradient, ratio):
    # h large enough that truncation error dominates rounding error by many orders.
    measured = error_at(numerical_gradient, 1e-2) / error_at(numerical_gradient, 5e-3)
    assert measured == pytest.approx(ratio, rel=0.05)


@pytest.mark.parametrize("numerical_gradient", NUMERICAL)
def test_numerical_gradient_restores_x(numerical_gradient):
    x = np.array([[0.1, 0.2, 0.3], [1.0 / 3.0, 1e-7, 123.456]])
    before = x.copy()
    numerical_gradient(sum_exp, x)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("numerical_gradient", NUMERICAL)
def test_numerical_gradient_restores_x_when_f_raises(numerical_gradient):
    x = np.array([0.1, 0.2, 0.3])
    before = x.copy()
    calls = []

    def fails_on_a_perturbed_x(v):
        calls.append(v.copy())
        if not np.array_equal(v, before):
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(fails_on_a_perturbed_x, x)
    assert any(not np.array_equal(v, before) for v in calls)  # f did see a perturbed x
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("numerical_gradient", NUMERICAL)
def test_numerical_gradient_perturbs_one_coordinate_at_a_time(numerical_gradient):
    # f only reads x[1, 0]; every other coordinate must get exactly 0.
    x = np.zeros((2, 3))
    grad = numerical_gradient(lambda v: float(3.0 * v[1, 0]), x)
    expected = np.zeros((2, 3))
    expected[1, 0] = 3.0
    np.testing.assert_allclose(grad, expected, rtol=1e-8, atol=0)


# --- random search -------------------------------------------------------------------------

def bowl(W):
    return float(np.sum((W - 0.5e-3) ** 2))


def test_random_search_reproduces_the_draws_and_returns_the_best():
    shape, tries, scale, seed = (3, 2), 25, 2e-3, 11
    rng = np.random.default_rng(seed)
    candidates = [scale * rng.standard_normal(shape) for _ in range(tries)]
    losses = [bowl(W) for W in candidates]
    best = int(np.argmin(losses))

    best_W, best_loss = opt.random_search(bowl, shape, num_tries=tries, scale=scale, seed=seed)
    np.testing.assert_array_equal(best_W, candidates[best])
    assert best_loss == losses[best] == min(losses)
    assert best_loss == bowl(best_W)


def test_random_search_keeps_the_first_of_equal_losses():
    seen = []

    def constant(W):
        seen.append(W.copy())
        return 1.0

    best_W, best_loss = opt.random_search(constant, (2,), num_tries=5, seed=0)
    assert len(seen) == 5
    np.testing.assert_array_equal(best_W, seen[0])
    assert best_loss == 1.0


def test_random_search_is_reproducible_by_seed():
    a = opt.random_search(bowl, (4, 3), num_tries=10, seed=3)
    b = opt.random_search(bowl, (4, 3), num_tries=10, seed=3)
    c = opt.random_search(bowl, (4, 3), num_tries=10, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


def test_random_local_search_reproduces_the_draws():
    W0 = np.array([[0.3, -0.2], [0.1, 0.4]])
    tries, step, seed = 40, 0.05, 7
    W0_before = W0.copy()

    rng = np.random.default_rng(seed)
    W, loss, accepted = W0.copy(), bowl(W0), 0
    for _ in range(tries):
        W_try = W + step * rng.standard_normal(W.shape)
        if bowl(W_try) < loss:
            W, loss, accepted = W_try, bowl(W_try), accepted + 1
    assert 0 < accepted < tries  # the check exercises both branches

    got_W, got_loss = opt.random_local_search(bowl, W0, num_tries=tries, step_size=step, seed=seed)
    np.testing.assert_array_equal(got_W, W)
    assert got_loss == loss == bowl(got_W)
    assert got_loss < bowl(W0)
    np.testing.assert_array_equal(W0, W0_before)


def test_random_local_search_never_accepts_a_worse_step():
    # The minimum is at W0 itself: every step is worse, so W0 comes back.
    W0 = np.full((2, 2), 0.5e-3)
    W, loss = opt.random_local_search(bowl, W0, num_tries=20, step_size=0.1, seed=0)
    np.testing.assert_array_equal(W, W0)
    assert loss == 0.0


# --- gradient descent and minibatch SGD ----------------------------------------------------

def test_gradient_descent_on_a_quadratic_matches_the_closed_form():
    # f(W) = 0.5 * sum(a * (W - c)^2): each step multiplies W - c by (1 - lr * a).
    a = np.array([[1.0, 2.0], [0.5, 3.0]])
    c = np.array([[1.0, -2.0], [0.0, 4.0]])
    W0 = np.zeros((2, 2))
    lr, iters = 0.1, 30

    def loss_grad(W):
        return 0.5 * float(np.sum(a * (W - c) ** 2)), a * (W - c)

    W, history = opt.gradient_descent(loss_grad, W0, lr, iters)
    factor = 1 - lr * a
    np.testing.assert_allclose(W, c + factor ** iters * (W0 - c), rtol=1e-12, atol=1e-12)
    expected_history = [0.5 * float(np.sum(a * (factor ** t * (W0 - c)) ** 2)) for t in range(iters)]
    np.testing.assert_allclose(history, expected_history, rtol=1e-12)
    np.testing.assert_array_equal(W0, np.zeros((2, 2)))


def linear_regression_loss_grad(W, X_batch, y_batch):
    residual = X_batch @ W - y_batch[:, None]
    return 0.5 * float(np.mean(residual ** 2)), X_batch.T @ residual / len(y_batch)


def test_minibatch_sgd_reproduces_its_trajectory():
    rng = np.random.default_rng(0)
    N, D = 40, 3
    X = rng.standard_normal((N, D))
    y = X @ np.array([1.0, -2.0, 0.5])
    W0 = np.zeros((D, 1))
    copies = X.copy(), y.copy(), W0.copy()
    lr, iters, batch_size, seed = 0.2, 15, 8, 123

    batches_seen = []

    def recording_loss_grad(W, X_batch, y_batch):
        batches_seen.append(X_batch.copy())
        return linear_regression_loss_grad(W, X_batch, y_batch)

    W, history = opt.minibatch_sgd(recording_loss_grad, W0, X, y, lr, iters, batch_size, seed=seed)

    own_rng = np.random.default_rng(seed)
    W_expected, expected_history = W0.copy(), []
    for it in range(iters):
        batch = own_rng.choice(N, batch_size, replace=True)
        np.testing.assert_array_equal(batches_seen[it], X[batch])
        loss, dW = linear_regression_loss_grad(W_expected, X[batch], y[batch])
        expected_history.append(loss)
        W_expected = W_expected - lr * dW

    assert len(history) == iters
    np.testing.assert_array_equal(history, expected_history)
    np.testing.assert_array_equal(W, W_expected)
    assert history[-1] < history[0]
    for before, after in zip(copies, (X, y, W0)):
        np.testing.assert_array_equal(before, after)


# --- update rules --------------------------------------------------------------------------

def gradients(seed, steps, shape=(3, 2)):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(steps)]


def run_rule(rule, w, grads, config=None):
    """Apply `rule` once per gradient; check each call leaves w and dw alone."""
    for dw in grads:
        w_before, dw_before = w.copy(), dw.copy()
        next_w, config = rule(w, dw, config)
        np.testing.assert_array_equal(w, w_before)
        np.testing.assert_array_equal(dw, dw_before)
        assert next_w is not w
        w = next_w
    return w, config


def test_sgd_default_and_formula():
    w = np.array([[1.0, -1.0], [0.5, 2.0]])
    dw = np.array([[0.3, -0.1], [2.0, 0.0]])
    next_w, config = opt.sgd(w, dw)
    assert config == {"learning_rate": 1e-2}
    np.testing.assert_allclose(next_w, w - 1e-2 * dw)

    grads = gradients(0, 4, shape=w.shape)
    final, _ = run_rule(opt.sgd, w, grads, {"learning_rate": 0.3})
    np.testing.assert_allclose(final, w - 0.3 * sum(grads), rtol=1e-12)


def test_sgd_momentum_defaults():
    w = np.ones((2, 3))
    dw = np.full((2, 3), 2.0)
    next_w, config = opt.sgd_momentum(w, dw)
    assert config["learning_rate"] == 1e-2 and config["momentum"] == 0.9
    np.testing.assert_allclose(config["velocity"], -1e-2 * dw)  # from zero velocity
    np.testing.assert_allclose(next_w, w - 1e-2 * dw)


def test_sgd_momentum_with_a_constant_gradient_matches_the_geometric_series():
    # v_t = -lr * g * (1 + mu + ... + mu^(t-1)), w_T = w_0 + sum_t v_t.
    lr, mu, steps = 0.1, 0.8, 6
    w0 = np.array([1.0, -2.0, 3.0])
    g = np.array([0.5, 1.0, -2.0])
    final, config = run_rule(opt.sgd_momentum, w0, [g] * steps, {"learning_rate": lr, "momentum": mu})
    velocities = [-lr * g * (1 - mu ** t) / (1 - mu) for t in range(1, steps + 1)]
    np.testing.assert_allclose(config["velocity"], velocities[-1], rtol=1e-12)
    np.testing.assert_allclose(final, w0 + sum(velocities), rtol=1e-12)


def test_sgd_momentum_with_changing_gradients():
    lr, mu = 0.05, 0.9
    w0 = np.linspace(-1, 1, 6).reshape(3, 2)
    grads = gradients(1, 5)
    final, config = run_rule(opt.sgd_momentum, w0, grads, {"learning_rate": lr, "momentum": mu})
    v, w = np.zeros_like(w0), w0.copy()
    for g in grads:
        v = mu * v - lr * g
        w = w + v
    np.testing.assert_allclose(final, w, rtol=1e-12)
    np.testing.assert_allclose(config["velocity"], v, rtol=1e-12)


def test_sgd_momentum_does_not_change_the_velocity_array_it_was_given():
    velocity = np.full(3, 0.25)
    config = {"velocity": velocity}
    opt.sgd_momentum(np.zeros(3), np.ones(3), config)
    np.testing.assert_array_equal(velocity, np.full(3, 0.25))
    assert config["velocity"] is not velocity


def test_adam_defaults_and_first_step():
    # After one step m_hat = dw and v_hat = dw^2, so the step is lr * dw / (|dw| + eps).
    w = np.array([[1.0, -1.0], [0.5, 2.0]])
    dw = np.array([[0.3, -0.1], [2.0, 1e-3]])
    next_w, config = opt.adam(w, dw)
    assert config["learning_rate"] == 1e-3
    assert (config["beta1"], config["beta2"], config["epsilon"]) == (0.9, 0.999, 1e-8)
    assert config["t"] == 1
    np.testing.assert_allclose(config["m"], 0.1 * dw)
    np.testing.assert_allclose(config["v"], 0.001 * dw ** 2)
    np.testing.assert_allclose(next_w, w - 1e-3 * dw / (np.abs(dw) + 1e-8), rtol=1e-10)


def test_adam_with_a_constant_gradient_steps_by_learning_rate_times_sign():
    # With bias correction a constant gradient g gives m_hat = g and v_hat = g^2 at every t.
    steps, lr = 5, 0.01
    w0 = np.array([1.0, 2.0, -3.0])
    g = np.array([4.0, -0.5, 2.0])
    final, config = run_rule(opt.adam, w0, [g] * steps, {"learning_rate": lr})
    assert config["t"] == steps
    np.testing.assert_allclose(final, w0 - steps * lr * g / (np.abs(g) + 1e-8), rtol=1e-10)


def test_adam_with_changing_gradients_over_several_steps():
    lr, beta1, beta2, eps = 0.02, 0.8, 0.99, 1e-6
    w0 = np.linspace(-1, 1, 6).reshape(3, 2)
    grads = gradients(2, 6)
    config = {"learning_rate": lr, "beta1": beta1, "beta2": beta2, "epsilon": eps}
    final, config = run_rule(opt.adam, w0, grads, config)

    # Bias-corrected moments written as explicit weighted sums of the gradients seen.
    T = len(grads)
    m = sum((1 - beta1) * beta1 ** (T - 1 - k) * g for k, g in enumerate(grads))
    v = sum((1 - beta2) * beta2 ** (T - 1 - k) * g ** 2 for k, g in enumerate(grads))
    np.testing.assert_allclose(config["m"], m, rtol=1e-12)
    np.testing.assert_allclose(config["v"], v, rtol=1e-12)
    assert config["t"] == T

    w = w0.copy()
    for t in range(1, T + 1):
        gs = grads[:t]
        m_t = sum((1 - beta1) * beta1 ** (t - 1 - k) * g for k, g in enumerate(gs))
        v_t = sum((1 - beta2) * beta2 ** (t - 1 - k) * g ** 2 for k, g in enumerate(gs))
        w = w - lr * (m_t / (1 - beta1 ** t)) / (np.sqrt(v_t / (1 - beta2 ** t)) + eps)
    np.testing.assert_allclose(final, w, rtol=1e-10)


def test_adam_continues_from_a_given_t():
    # t = 9 in the config means this is step 10: corrections 1 - beta^10.
    w, dw = np.array([1.0]), np.array([2.0])
    m0, v0 = np.array([0.5]), np.array([0.25])
    config = {"m": m0, "v": v0, "t": 9}
    next_w, config = opt.adam(w, dw, config)
    m = 0.9 * 0.5 + 0.1 * 2.0
    v = 0.999 * 0.25 + 0.001 * 4.0
    expected = 1.0 - 1e-3 * (m / (1 - 0.9 ** 10)) / (math.sqrt(v / (1 - 0.999 ** 10)) + 1e-8)
    assert config["t"] == 10
    assert next_w[0] == pytest.approx(expected, rel=1e-12)
    np.testing.assert_array_equal(m0, [0.5])
    np.testing.assert_array_equal(v0, [0.25])
