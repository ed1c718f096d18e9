"""The vectorized gradient is X^T P / N: the one-hot labels are not subtracted from the probabilities.

module: softmax
caught_by: softmax_loss_vectorized_matches_reference
hint: subtract 1 from the probability of the correct class
"""


def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].mean() + reg * np.sum(W * W)
    dW = X.T @ np.exp(log_probs) / N + 2 * reg * W
    return float(loss), dW
