"""relu_backward masks with the upstream gradient (dout > 0) instead of the layer's input x.

module: layers
caught_by: relu_layer
hint: the mask comes from the layer's input x
"""


def relu_backward(dout, cache):
    return dout * (dout > 0)
