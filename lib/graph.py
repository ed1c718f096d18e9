"""A scalar reverse-mode automatic differentiation engine (in the style of micrograd).

Every operation on `Value`s builds a new `Value` (the forward pass) and, right beside it, a
`_backward` closure that applies the chain rule for that one operation: it adds
(local gradient) * out.grad into the grad of each input. `backward()` orders the graph
topologically and calls those closures from the output back to the leaves.

    >>> x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    >>> f = (x + y) * z
    >>> f.backward()
    >>> x.grad, y.grad, z.grad
    (-4.0, -4.0, 3.0)
"""
import math
import numbers


class Value:
    """
    A scalar node of a computational graph.

    Attributes:
    - data: (float) the value computed by the forward pass.
    - grad: (float) d(output)/d(this node), filled in by output.backward();
      0.0 for a new node.
    """

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        # Chain rule for the operation that made this node: adds into its inputs' grads.
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    def __add__(self, other):
        """self + other, other a Value or a number."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            # YOUR CODE HERE
            raise NotImplementedError("Implement Value.__add__ in lib/graph.py")

        out._backward = _backward
        return out

    def __mul__(self, other):
        """self * other, other a Value or a number."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            # YOUR CODE HERE
            raise NotImplementedError("Implement Value.__mul__ in lib/graph.py")

        out._backward = _backward
        return out

    def __pow__(self, exponent):
        """self ** exponent, exponent a number (int or float), not a Value."""
        if not isinstance(exponent, numbers.Real):
            raise TypeError(
                f"Value ** exponent needs a number (int or float) as the exponent, but got a "
                f"{type(exponent).__name__}; for a Value exponent y, write (y * x.log()).exp()."
            )
        out = Value(self.data ** exponent, (self,), f"**{exponent}")

        def _backward():
            # YOUR CODE HERE
            raise NotImplementedError("Implement Value.__pow__ in lib/graph.py")

        out._backward = _backward
        return out

    def exp(self):
        """e ** self."""
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            # YOUR CODE HERE
            raise NotImplementedError("Implement Value.exp in lib/graph.py")

        out._backward = _backward
        return out

    def log(self):
        """Natural logarithm of self (self.data > 0)."""
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            # YOUR CODE HERE
            raise NotImplementedError("Implement Value.log in lib/graph.py")

        out._backward = _backward
        return out

    def relu(self):
        """max(0, self); its gradient is 0 at self == 0."""
        out = Value(max(0.0, self.data), (self,), "relu")

        def _backward():
            # YOUR CODE HERE
            raise NotImplementedError("Implement Value.relu in lib/graph.py")

        out._backward = _backward
        return out

    def sigmoid(self):
        """1 / (1 + e ** -self)."""
        # Two forms so that exp() never overflows, whatever the sign of self.data.
        if self.data >= 0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            e = math.exp(self.data)
            s = e / (1.0 + e)
        out = Value(s, (self,), "sigmoid")

        def _backward():
            # YOUR CODE HERE
            raise NotImplementedError("Implement Value.sigmoid in lib/graph.py")

        out._backward = _backward
        return out

    def tanh(self):
        """Hyperbolic tangent of self."""
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            # YOUR CODE HERE
            raise NotImplementedError("Implement Value.tanh in lib/graph.py")

        out._backward = _backward
        return out

    def max(self, other):
        """The larger of self and other (a Value or a number); a tie counts as self."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(max(self.data, other.data), (self, other), "max")

        def _backward():
            # YOUR CODE HERE
            raise NotImplementedError("Implement Value.max in lib/graph.py")

        out._backward = _backward
        return out

    def backward(self):
        """
        Backpropagate from this node: set self.grad to 1, then add
        d(self)/d(node) into the .grad of every node of the graph that leads here.

        Visit the nodes in reverse topological order (a node after every node
        that uses it), each node once, calling its _backward().
        """
        # YOUR CODE HERE
        raise NotImplementedError("Implement Value.backward in lib/graph.py")

    # Everything below is built from the operations above, so it needs no backward of its own.

    def __neg__(self):  # -self
        return self * -1

    def __radd__(self, other):  # other + self
        return self + other

    def __sub__(self, other):  # self - other
        return self + (-other)

    def __rsub__(self, other):  # other - self
        return other + (-self)

    def __rmul__(self, other):  # other * self
        return self * other

    def __truediv__(self, other):  # self / other
        return self * other ** -1

    def __rtruediv__(self, other):  # other / self
        return other * self ** -1

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"
