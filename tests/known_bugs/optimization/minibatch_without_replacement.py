"""minibatch_sgd draws each batch without replacement.

module: optimization
caught_by: minibatch_sgd_follows_the_contract
hint: replace=True
"""


def minibatch_sgd(loss_grad_fn, W0, X, y, learning_rate, num_iters, batch_size, seed=None):
    rng = np.random.default_rng(seed)
    W = W0.copy()
    loss_history = []
    for _ in range(num_iters):
        batch = rng.choice(X.shape[0], batch_size, replace=False)
        loss, dW = loss_grad_fn(W, X[batch], y[batch])
        loss_history.append(float(loss))
        W = W - learning_rate * dW
    return W, loss_history
