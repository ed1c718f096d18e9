"""The vectorized softmax normalizes over the examples (axis 0) instead of over the classes.

module: softmax
caught_by: softmax_loss_vectorized_lecture_example
hint: over its classes (axis=1
"""


def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    exps = np.exp(scores - scores.max(axis=0, keepdims=True))
    probs = exps / exps.sum(axis=0, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean() + reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dW = X.T @ dscores / N + 2 * reg * W
    return float(loss), dW
