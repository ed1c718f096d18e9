"""minibatch_sgd draws its batches from np.random, ignoring the seed: runs are not reproducible.

module: optimization
caught_by: minibatch_sgd_follows_the_contract
hint: not from np.random
"""


def minibatch_sgd(loss_grad_fn, W0, X, y, learning_rate, num_iters, batch_size, seed=None):
    W = W0.copy()
    loss_history = []
    for _ in range(num_iters):
        batch = np.random.choice(X.shape[0], batch_size, replace=True)
        loss, dW = loss_grad_fn(W, X[batch], y[batch])
        loss_history.append(float(loss))
        W = W - learning_rate * dW
    return W, loss_history
