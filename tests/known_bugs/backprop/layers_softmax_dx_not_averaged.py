"""softmax_loss averages the loss over the examples but not dx.

module: layers
caught_by: softmax_loss_layer
hint: divide its gradient by N too
"""


def softmax_loss(x, y):
    N = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean()
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    return float(loss), dx
