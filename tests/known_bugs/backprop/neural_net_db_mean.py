"""TwoLayerNet.loss computes by hand, and averages the biases' gradients over the batch.

module: neural_net
caught_by: two_layer_net_gradient_check
hint: sum it over the batch (axis 0)
"""


def _loss(self, X, y=None):
    W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
    pre = X @ W1 + b1
    hidden = np.maximum(0, pre)
    scores = hidden @ W2 + b2
    if y is None:
        return scores
    data_loss, dscores = softmax_loss(scores, y)
    loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dpre = (dscores @ W2.T) * (pre > 0)
    grads = {"W2": hidden.T @ dscores + self.reg * W2, "b2": dscores.mean(axis=0),
             "W1": X.T @ dpre + self.reg * W1, "b1": dpre.mean(axis=0)}
    return float(loss), grads


TwoLayerNet.loss = _loss
