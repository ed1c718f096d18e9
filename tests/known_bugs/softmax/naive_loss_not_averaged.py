"""The data loss is summed over the examples, not averaged (the gradient is averaged).

module: softmax
caught_by: softmax_loss_naive_lecture_example
hint: the loss is their mean (divide by N)
"""


def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    dW = np.zeros(W.shape, dtype=np.result_type(W, X))
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        scores = scores - np.max(scores)
        sum_exp = np.sum(np.exp(scores))
        loss += np.log(sum_exp) - scores[y[i]]
        for j in range(W.shape[1]):
            dW[:, j] += (np.exp(scores[j]) / sum_exp - (j == y[i])) * X[i]
    dW /= X.shape[0]
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return float(loss), dW
