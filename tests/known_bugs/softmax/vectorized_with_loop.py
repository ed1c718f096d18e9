"""Right values, but the "vectorized" loss loops over the examples.

module: softmax
caught_by: softmax_loss_vectorized_loop_free
hint: calls softmax_loss_naive
"""


def softmax_loss_vectorized(W, X, y, reg):
    return softmax_loss_naive(W, X, y, reg)
