"""Value.backward recurses from the output without a topological order: a node's _backward runs
as soon as it is reached, before every node that uses it has added its gradient.

module: graph
caught_by: value_node_used_twice
hint: build a topological order of the graph first
"""


def _backward_preorder(self):
    self.grad = 1.0
    visited = set()

    def visit(node):
        visited.add(node)
        node._backward()
        for child in node._prev:
            if child not in visited:
                visit(child)

    visit(self)


Value.backward = _backward_preorder
