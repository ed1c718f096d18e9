"""The scores are shifted by the maximum of the whole batch, not by each row's own maximum.

module: softmax
caught_by: softmax_loss_stable_for_large_scores
hint: the maximum of the whole batch is not enough
"""


def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    exps = np.exp(scores - np.max(scores))
    probs = exps / exps.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean() + reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dW = X.T @ dscores / N + 2 * reg * W
    return float(loss), dW
