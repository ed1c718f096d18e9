"""The reference TwoLayerNet (solutions/neural_net.py) against a forward pass written here,
finite differences and a draw-for-draw reproduction of the training loop in the contract."""
import math

import numpy as np
import pytest

from solutions.neural_net import TwoLayerNet

D, H, C = 4, 6, 3


def small_net(reg=0.0, seed=0):
    """A net with non-zero biases, so that every parameter matters."""
    net = TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=0.5, reg=reg, seed=seed)
    rng = np.random.default_rng(100 + seed)
    net.params["b1"] = 0.3 * rng.standard_normal(H)
    net.params["b2"] = 0.3 * rng.standard_normal(C)
    return net


def small_data(seed=0, N=7):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, D)), rng.integers(0, C, size=N)


def forward_by_hand(params, X):
    hidden = np.maximum(0.0, X @ params["W1"] + params["b1"])
    return hidden @ params["W2"] + params["b2"]


def loss_by_hand(params, X, y, reg):
    scores = forward_by_hand(params, X)
    data_loss = np.mean([math.log(np.sum(np.exp(s - s.max()))) - (s[label] - s.max())
                         for s, label in zip(scores, y)])
    return data_loss + 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))


def test_params_shapes_and_initialisation():
    net = TwoLayerNet(input_dim=5, hidden_dim=7, num_classes=4, weight_scale=2e-2, seed=42)
    rng = np.random.default_rng(42)
    W1 = 2e-2 * rng.standard_normal((5, 7))
    W2 = 2e-2 * rng.standard_normal((7, 4))
    assert list(net.params) == ["W1", "b1", "W2", "b2"]
    np.testing.assert_array_equal(net.params["W1"], W1)
    np.testing.assert_array_equal(net.params["W2"], W2)
    np.testing.assert_array_equal(net.params["b1"], np.zeros(7))
    np.testing.assert_array_equal(net.params["b2"], np.zeros(4))


def test_default_sizes():
    net = TwoLayerNet(seed=0)
    shapes = {name: p.shape for name, p in net.params.items()}
    assert shapes == {"W1": (3072, 100), "b1": (100,), "W2": (100, 10), "b2": (10,)}
    assert net.params["W1"].std() == pytest.approx(1e-3, rel=0.05)


def test_scores_match_a_forward_pass_by_hand():
    net = small_net()
    X, _ = small_data()
    scores = net.loss(X)
    assert scores.shape == (len(X), C)
    np.testing.assert_allclose(scores, forward_by_hand(net.params, X), rtol=1e-12)


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_loss_matches_by_hand(reg):
    net = small_net(reg=reg)
    X, y = small_data()
    loss, grads = net.loss(X, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(loss_by_hand(net.params, X, y, reg), rel=1e-12)
    assert set(grads) == {"W1", "b1", "W2", "b2"}


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_every_gradient_matches_finite_differences(reg):
    net = small_net(reg=reg)
    X, y = small_data()
    _, grads = net.loss(X, y)
    h = 1e-6
    for name, param in net.params.items():
        numerical = np.zeros_like(param)
        for ix in np.ndindex(param.shape):
            plus = {k: v.copy() for k, v in net.params.items()}
            minus = {k: v.copy() for k, v in net.params.items()}
            plus[name][ix] += h
            minus[name][ix] -= h
            numerical[ix] = (loss_by_hand(plus, X, y, reg) - loss_by_hand(minus, X, y, reg)) / (2 * h)
        assert grads[name].shape == param.shape
        np.testing.assert_allclose(grads[name], numerical, rtol=1e-5, atol=1e-8, err_msg=name)


def test_loss_leaves_params_and_inputs_unchanged():
    net = small_net(reg=0.3)
    X, y = small_data()
    before = {k: v.copy() for k, v in net.params.items()}
    X_before, y_before = X.copy(), y.copy()
    net.loss(X, y)
    for name in before:
        np.testing.assert_array_equal(net.params[name], before[name])
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


def test_predict_is_the_argmax_of_the_scores():
    net = small_net()
    X, _ = small_data(N=20)
    y_pred = net.predict(X)
    assert y_pred.shape == (20,)
    assert np.issubdtype(y_pred.dtype, np.integer)
    np.testing.assert_array_equal(y_pred, np.argmax(forward_by_hand(net.params, X), axis=1))


def test_train_follows_the_contract_step_by_step():
    X, y = small_data(seed=1, N=50)
    X_val, y_val = small_data(seed=2, N=15)
    lr, decay, iters, batch_size, seed = 0.3, 0.8, 23, 10, 5
    net = small_net(reg=0.1)
    twin = small_net(reg=0.1)

    history = net.train(X, y, X_val, y_val, learning_rate=lr, learning_rate_decay=decay,
                        num_iters=iters, batch_size=batch_size, seed=seed)

    # The same loop, written from the contract, on an identical net.
    rng = np.random.default_rng(seed)
    per_epoch = max(len(X) // batch_size, 1)
    losses, train_acc, val_acc = [], [], []
    for it in range(iters):
        batch = rng.choice(len(X), batch_size, replace=True)
        loss, grads = twin.loss(X[batch], y[batch])
        losses.append(loss)
        twin.params = {k: p - lr * grads[k] for k, p in twin.params.items()}
        if it % per_epoch == 0:
            train_acc.append(np.mean(np.argmax(forward_by_hand(twin.params, X[batch]), 1) == y[batch]))
            val_acc.append(np.mean(np.argmax(forward_by_hand(twin.params, X_val), 1) == y_val))
            lr *= decay

    assert set(history) == {"loss_history", "train_acc_history", "val_acc_history"}
    assert len(history["loss_history"]) == iters
    assert len(history["train_acc_history"]) == len(history["val_acc_history"]) == 5  # it 0, 5, ..., 20
    np.testing.assert_allclose(history["loss_history"], losses, rtol=1e-12)
    np.testing.assert_allclose(history["train_acc_history"], train_acc)
    np.testing.assert_allclose(history["val_acc_history"], val_acc)
    for name in net.params:
        np.testing.assert_allclose(net.params[name], twin.params[name], rtol=1e-12, atol=1e-15)


def test_train_records_every_iteration_when_the_batch_exceeds_the_data():
    X, y = small_data(seed=3, N=8)
    history = small_net().train(X, y, X, y, num_iters=4, batch_size=20, seed=0)
    assert len(history["train_acc_history"]) == len(history["val_acc_history"]) == 4


def test_train_leaves_data_unchanged_and_prints_when_verbose(capsys):
    X, y = small_data(seed=4, N=30)
    copies = X.copy(), y.copy()
    small_net().train(X, y, X, y, num_iters=101, batch_size=10, verbose=True, seed=0)
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 2  # iterations 0 and 100
    np.testing.assert_array_equal(X, copies[0])
    np.testing.assert_array_equal(y, copies[1])


def xor_data(rng, n):
    X = rng.uniform(-1, 1, size=(n, 2))
    return X, ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(int)


def test_training_learns_xor():
    # XOR of the signs is not linearly separable: only the hidden layer makes this learnable.
    rng = np.random.default_rng(0)
    X, y = xor_data(rng, 400)
    X_val, y_val = xor_data(rng, 200)
    net = TwoLayerNet(input_dim=2, hidden_dim=50, num_classes=2, weight_scale=0.5, reg=1e-4, seed=0)
    history = net.train(X, y, X_val, y_val, learning_rate=0.5, learning_rate_decay=0.99,
                        num_iters=600, batch_size=50, seed=1)
    assert np.mean(history["loss_history"][-50:]) < 0.5 * np.mean(history["loss_history"][:10])
    assert np.mean(net.predict(X_val) == y_val) >= 0.9
    assert history["val_acc_history"][-1] >= 0.9
