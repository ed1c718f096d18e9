"""Gates that write grad = grad + ... and a max written with a conditional expression.

module: graph
"""


def _mul(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad = self.grad + other.data * out.grad
        other.grad = other.grad + self.data * out.grad

    out._backward = _backward
    return out


def _max(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(max(self.data, other.data), (self, other), "max")

    def _backward():
        winner = self if self.data >= other.data else other
        winner.grad += out.grad

    out._backward = _backward
    return out


Value.__mul__ = _mul
Value.max = _max
