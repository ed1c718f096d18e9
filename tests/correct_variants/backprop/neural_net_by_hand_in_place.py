"""TwoLayerNet written out by hand (no layer functions), updating the parameters in place.

module: neural_net
"""


def _loss(self, X, y=None):
    W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
    pre = X.reshape(len(X), -1) @ W1 + b1
    hidden = np.maximum(pre, 0)
    scores = hidden @ W2 + b2
    if y is None:
        return scores
    shifted = scores - scores.max(1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(1, keepdims=True)
    N = len(X)
    loss = -np.log(probs[range(N), y]).mean() + 0.5 * self.reg * (np.linalg.norm(W1) ** 2 + np.linalg.norm(W2) ** 2)
    dscores = probs
    dscores[range(N), y] -= 1
    dscores /= N
    dhidden = dscores @ W2.T
    dhidden[pre <= 0] = 0
    grads = {"W1": X.T @ dhidden + self.reg * W1, "b1": dhidden.sum(0),
             "W2": hidden.T @ dscores + self.reg * W2, "b2": dscores.sum(0)}
    return loss, grads


def _train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95, num_iters=100,
           batch_size=200, verbose=False, seed=None):
    rng = np.random.default_rng(seed)
    N = X.shape[0]
    per_epoch = max(N // batch_size, 1)
    history = {"loss_history": [], "train_acc_history": [], "val_acc_history": []}
    for it in range(num_iters):
        idx = rng.choice(N, batch_size, replace=True)
        loss, grads = self.loss(X[idx], y[idx])
        history["loss_history"].append(loss)
        for name, grad in grads.items():
            self.params[name] -= learning_rate * grad
        if it % per_epoch == 0:
            history["train_acc_history"].append(np.mean(self.predict(X[idx]) == y[idx]))
            history["val_acc_history"].append(np.mean(self.predict(X_val) == y_val))
            learning_rate *= learning_rate_decay
    return history


def _predict(self, X):
    return self.loss(X).argmax(axis=1).astype(np.int32)


TwoLayerNet.loss = _loss
TwoLayerNet.train = _train
TwoLayerNet.predict = _predict
