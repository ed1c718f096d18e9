"""minibatch_sgd records the batch loss after the update instead of before it.

module: optimization
caught_by: minibatch_sgd_follows_the_contract
hint: record each iteration's loss before its update
"""


def minibatch_sgd(loss_grad_fn, W0, X, y, learning_rate, num_iters, batch_size, seed=None):
    rng = np.random.default_rng(seed)
    W = W0.copy()
    loss_history = []
    for _ in range(num_iters):
        batch = rng.choice(X.shape[0], batch_size, replace=True)
        _, dW = loss_grad_fn(W, X[batch], y[batch])
        W = W - learning_rate * dW
        loss_history.append(float(loss_grad_fn(W, X[batch], y[batch])[0]))
    return W, loss_history
