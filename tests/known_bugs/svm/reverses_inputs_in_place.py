"""Right values, but the inputs X and y are reordered in place.

module: linear_svm
caught_by: svm_loss_inputs_unchanged
hint: in another order
"""


def svm_loss_vectorized(W, X, y, reg):
    # Walks the batch backwards, reusing the caller's arrays.
    X[:] = X[::-1].copy()
    y[:] = y[::-1].copy()
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    mask = (margins > 0).astype(float)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    dW = X.T @ mask / N + 2 * reg * W
    return loss, dW
