"""Value.sigmoid's local gradient uses the input x instead of the output: x (1 - x).

module: graph
caught_by: value_sigmoid_neuron
hint: the gate's output (out.data), not its input
"""
_given_sigmoid = Value.sigmoid


def _sigmoid(self):
    out = _given_sigmoid(self)

    def _backward():
        self.grad += self.data * (1.0 - self.data) * out.grad

    out._backward = _backward
    return out


Value.sigmoid = _sigmoid
