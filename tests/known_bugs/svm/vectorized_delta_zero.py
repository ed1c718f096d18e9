"""The margin is s_j - s_{y_i} with no delta of 1.

module: linear_svm
caught_by: svm_loss_vectorized_lecture_example
hint: the margin of 1 (delta) is missing
"""


def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None])
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    mask = (margins > 0).astype(float)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    dW = X.T @ mask / N + 2 * reg * W
    return loss, dW
