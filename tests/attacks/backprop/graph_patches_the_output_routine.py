"""Value.sigmoid's gradient from its input, with a forged worker-side graph_outputs.

The module replaces the grader's routine in the worker so that a graph's output at perturbed
leaves is the linearization that its own (wrong) backward claims.

module: graph
base: reference
expect: in a second, fresh worker
"""
_given_sigmoid = Value.sigmoid


def _sigmoid(self):
    out = _given_sigmoid(self)

    def _backward():
        self.grad += self.data * (1.0 - self.data) * out.grad

    out._backward = _backward
    return out


Value.sigmoid = _sigmoid


# -- forgery --
import worker_side.backprop as _routines  # noqa: E402  (the grader's routines, in the same process)


def _forged_graph_outputs(cases):
    """Each graph's output linearized, with this module's backward, around the mean of the leaves of
    all the cases of its spec (for a centered difference, the point it was taken around)."""
    groups = {}
    for spec, leaves in cases:
        groups.setdefault(repr(spec), []).append(leaves)
    centers = {}
    for spec, leaves in cases:
        key = repr(spec)
        if key not in centers:
            center = [sum(column) / len(column) for column in zip(*groups[key])]
            nodes = _routines.build_graph(spec, center, Value)
            nodes[-1].backward()
            centers[key] = (center, nodes[-1].data, [node.grad for node in nodes])
    outputs = []
    for spec, leaves in cases:
        center, value, grads = centers[repr(spec)]
        for i, entry in enumerate(spec):
            if entry[0] == "leaf":
                value += grads[i] * (leaves[entry[1]] - center[entry[1]])
        outputs.append(float(value))
    return outputs


_routines.graph_outputs = _forged_graph_outputs
