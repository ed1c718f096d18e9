"""The vectorized data gradient is summed over the examples, not averaged.

module: linear_svm
caught_by: svm_loss_vectorized_matches_naive
hint: N times
"""


def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    mask = (margins > 0).astype(float)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    dW = X.T @ mask + 2 * reg * W
    return loss, dW
