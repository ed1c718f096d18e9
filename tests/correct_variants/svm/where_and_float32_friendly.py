"""np.where instead of maximum, computed in the inputs' own precision (float32 stays float32).

module: linear_svm
"""


def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X.dot(W)
    correct = np.take_along_axis(scores, y[:, None], axis=1)
    raw = scores - correct + 1
    margins = np.where(raw > 0, raw, 0)
    np.put_along_axis(margins, y[:, None], 0, axis=1)
    counts = (margins > 0).astype(scores.dtype)
    np.put_along_axis(counts, y[:, None], -counts.sum(axis=1, keepdims=True), axis=1)
    return margins.sum() / N + reg * np.vdot(W, W), X.T.dot(counts) / N + 2 * reg * W
