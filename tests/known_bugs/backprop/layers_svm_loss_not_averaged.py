"""svm_loss sums the loss and dx over the examples instead of averaging them.

module: layers
caught_by: svm_loss_layer
hint: the mean over the N = 3 images
"""


def svm_loss(x, y):
    N = x.shape[0]
    rows = np.arange(N)
    margins = np.maximum(0, x - x[rows, y][:, None] + 1.0)
    margins[rows, y] = 0
    dx = (margins > 0).astype(x.dtype)
    dx[rows, y] = -dx.sum(axis=1)
    return float(margins.sum()), dx
