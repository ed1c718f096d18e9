"""Value.backward follows every path from the output without remembering visited nodes, so a
shared node's _backward runs once per path and passes its gradient on several times.

module: graph
caught_by: value_node_used_twice
hint: visit every node once
"""


def _backward_every_path(self):
    self.grad = 1.0

    def visit(node):
        node._backward()
        for child in node._prev:
            visit(child)

    visit(self)


Value.backward = _backward_every_path
