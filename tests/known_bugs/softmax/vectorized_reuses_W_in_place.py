"""Right values, but the regularization gradient is built in W's own memory (W *= 2 * reg).

module: softmax
caught_by: softmax_loss_inputs_unchanged
hint: multiple of its old values
"""


def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].mean() + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    dW = X.T @ dscores / N
    W *= 2 * reg
    dW += W
    return float(loss), dW
