"""Batches drawn with np.random.choice instead of the seeded rng: not reproducible.

module: linear_classifier
caught_by: linear_svm_train_matches_reference
hint: rng.choice(N, batch_size, replace=True)
"""


def _train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False, seed=None):
    rng = np.random.default_rng(seed)
    num_train, dim = X.shape
    if self.W is None:
        self.W = 0.001 * rng.standard_normal((dim, int(np.max(y)) + 1))
    loss_history = []
    for it in range(num_iters):
        batch = np.random.choice(num_train, batch_size, replace=True)
        loss, grad = self.loss(X[batch], y[batch], reg)
        loss_history.append(loss)
        self.W = self.W - learning_rate * grad
    return loss_history


LinearClassifier.train = _train
