"""A vectorized loss through log-sum-exp and log-probabilities, with the one-hot built by np.eye.

module: softmax
"""


def softmax_loss_vectorized(W, X, y, reg):
    N, C = X.shape[0], W.shape[1]
    scores = X @ W
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    one_hot = np.eye(C, dtype=scores.dtype)[y]
    loss = -(log_probs * one_hot).sum() / N + reg * np.sum(W * W)
    dW = X.T @ (np.exp(log_probs) - one_hot) / N + 2 * reg * W
    return float(loss), dW
