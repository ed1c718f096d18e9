"""micrograd's own backward: a recursive topological sort, then the reversed list.

module: graph
"""


def _backward_micrograd(self):
    topo = []
    visited = set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(self)
    self.grad = 1
    for v in reversed(topo):
        v._backward()


Value.backward = _backward_micrograd
