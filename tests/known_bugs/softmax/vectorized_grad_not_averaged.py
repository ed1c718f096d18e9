"""The vectorized data gradient is summed over the examples, not averaged.

module: softmax
caught_by: softmax_loss_vectorized_matches_naive
hint: N times
"""


def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].mean() + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    dW = X.T @ dscores + 2 * reg * W
    return float(loss), dW
