"""Value.__add__ assigns its inputs' grads (=) instead of adding into them (+=).

module: graph
caught_by: value_node_used_twice
hint: never assign them (self.grad = ...)
"""


def _add(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data + other.data, (self, other), "+")

    def _backward():
        self.grad = out.grad
        other.grad = out.grad

    out._backward = _backward
    return out


Value.__add__ = _add
