"""relu_backward lets the gradient through where x == 0 (x >= 0 instead of x > 0).

module: layers
caught_by: relu_layer
hint: use x > 0
"""


def relu_backward(dout, cache):
    return dout * (cache >= 0)
