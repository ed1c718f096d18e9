"""Value.__mul__ assigns its inputs' grads (=) instead of adding into them (+=).

module: graph
caught_by: value_node_used_twice
hint: never assign them (self.grad = ...)
"""


def _mul(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad = other.data * out.grad
        other.grad = self.data * out.grad

    out._backward = _backward
    return out


Value.__mul__ = _mul
