"""Right values, but relu_backward zeroes the caller's dout in place and returns it.

module: layers
caught_by: layers_inputs_unchanged
hint: is the caller's dout itself
"""


def relu_backward(dout, cache):
    dout[cache <= 0] = 0
    return dout
