"""relu_backward without the mask, with a relu_forward that linearizes near inputs it has seen.

Every input near one it has seen gets the linearization that relu_backward claims (the identity).

module: layers
base: reference
expect: in a second, fresh worker
"""


def relu_backward(dout, cache):
    return dout.copy()


# -- forgery --
_seen_relu_inputs = []
_given_relu_forward = relu_forward


def relu_forward(x):
    for seen in _seen_relu_inputs:
        if seen.shape == x.shape and np.max(np.abs(x - seen)) < 1e-3:
            out, _ = _given_relu_forward(seen)
            return out + (x - seen), x
    _seen_relu_inputs.append(x.copy())
    return _given_relu_forward(x)
