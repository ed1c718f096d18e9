"""A naive loss that delegates each example to a small helper of its own (loops stay in the naive one).

module: softmax
"""


def _example_loss_and_grad(scores, label):
    """Cross-entropy of one row of scores (C,) and its gradient with respect to those scores."""
    shifted = scores - np.max(scores)
    probs = np.exp(shifted) / np.sum(np.exp(shifted))
    dscores = probs.copy()
    dscores[label] -= 1
    return -np.log(probs[label]) if probs[label] > 0 else np.log(np.sum(np.exp(shifted))) - shifted[label], dscores


def softmax_loss_naive(W, X, y, reg):
    N = X.shape[0]
    loss, dW = 0.0, np.zeros(W.shape, dtype=np.result_type(W, X))
    for i in range(N):
        example_loss, dscores = _example_loss_and_grad(X[i] @ W, y[i])
        loss += example_loss
        for j in range(W.shape[1]):
            dW[:, j] += dscores[j] * X[i]
    return float(loss / N + reg * np.sum(W * W)), dW / N + 2 * reg * W
