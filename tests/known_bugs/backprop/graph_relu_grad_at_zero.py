"""Value.relu lets the gradient through at 0 (data >= 0 instead of data > 0).

module: graph
caught_by: value_ops_gradient
hint: gradient 0 at data == 0
"""


def _relu(self):
    out = Value(max(0.0, self.data), (self,), "relu")

    def _backward():
        self.grad += (self.data >= 0) * out.grad

    out._backward = _backward
    return out


Value.relu = _relu
