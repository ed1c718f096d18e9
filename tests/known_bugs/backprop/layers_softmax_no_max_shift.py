"""softmax_loss exponentiates the raw scores (no shift by the row maximum): overflow at 1e4.

module: layers
caught_by: softmax_loss_large_scores
hint: subtract each row's maximum from the scores
"""


def softmax_loss(x, y):
    N = x.shape[0]
    exp_scores = np.exp(x)
    probs = exp_scores / exp_scores.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean()
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    return float(loss), dx / N
