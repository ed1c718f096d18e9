"""Routines that the backprop checks run in the worker, on the student's objects (see __init__.py).

Each one does in a single round trip what would otherwise take hundreds: build graphs with the
student's `Value` and backpropagate, evaluate a layer's forward pass on many inputs, or evaluate
a TwoLayerNet's loss under many settings of its parameters. They return numbers only. Every
input they evaluate is made by the grader (perturbed points included), and the grader computes
the finite differences and judges on its own side: these routines run next to the student's
code, which can change them, so nothing they compute is believed beyond "the values the
student's code gave".

A graph is described by plain data, so that the grader can build the very same graph with
another engine. `spec` lists the nodes in order, each a tuple `(op, operand, ...)`:

- `("leaf", k)`: a Value holding `leaves[k]`;
- `(op, a)` for op in UNARY: the method applied to node a (`("exp", 3)` is `nodes[3].exp()`);
- `(op, a, b)` for op in BINARY: an int operand is an earlier node, a float operand a plain
  number (`("-", 2.5, 4)` is `2.5 - nodes[4]`); for `"**"` the second operand is always the
  exponent, and for `"max"` the first is always a node.

The last node is the output.
"""
import numbers

__all__ = ["evaluate_graphs", "graph_outputs", "layer_forward_backward", "layer_outputs", "net_losses", "ready"]

UNARY = {
    "neg": lambda a: -a,
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "relu": lambda a: a.relu(),
    "sigmoid": lambda a: a.sigmoid(),
    "tanh": lambda a: a.tanh(),
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a ** b,
    "max": lambda a, b: a.max(b),
}

# name -> (forward, backward) in lib/layers.py
LAYERS = {"affine": ("affine_forward", "affine_backward"), "relu": ("relu_forward", "relu_backward")}


def build_graph(spec, leaves, value_class):
    """The list of nodes of the graph `spec` (see the module docstring), built with `value_class`."""
    nodes = []
    for entry in spec:
        op, operands = entry[0], entry[1:]
        if op == "leaf":
            nodes.append(value_class(float(leaves[operands[0]])))
        elif op in UNARY:
            nodes.append(UNARY[op](nodes[operands[0]]))
        elif op == "**":
            nodes.append(nodes[operands[0]] ** operands[1])
        elif op in BINARY:
            a, b = (nodes[o] if isinstance(o, int) else float(o) for o in operands)
            nodes.append(BINARY[op](a, b))
        else:
            raise ValueError(f"unknown graph operation {op!r}")
    return nodes


def _number(value):
    """A float for a real number; otherwise a description the grader reports (it cannot cross)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return f"<{type(value).__name__}>"


def _value_class():
    from lib.graph import Value
    return Value


def evaluate_graphs(cases):
    """For each (spec, leaves): build the graph with lib.graph.Value, call backward() on the
    output, and return {"data": [...], "grad": [...]}, one entry per node of `spec`."""
    value_class = _value_class()
    results = []
    for spec, leaves in cases:
        nodes = build_graph(spec, leaves, value_class)
        nodes[-1].backward()
        results.append({"data": [_number(n.data) for n in nodes], "grad": [_number(n.grad) for n in nodes]})
    return results


def graph_outputs(cases):
    """For each (spec, leaves): the output's .data of the graph built with lib.graph.Value (no backward)."""
    value_class = _value_class()
    return [_number(build_graph(spec, leaves, value_class)[-1].data) for spec, leaves in cases]


def _layer(name):
    from lib import layers
    forward, backward = LAYERS[name]
    return getattr(layers, forward), getattr(layers, backward)


def _forward(forward, args):
    result = forward(*args)
    if not (isinstance(result, tuple) and len(result) == 2):
        found = f"a {type(result).__name__}" + (f" of {len(result)} items" if isinstance(result, (tuple, list)) else "")
        raise TypeError(f"{forward.__name__} should return a tuple (out, cache); it returned {found}")
    return result


def layer_forward_backward(layer, args, dout):
    """Run `layer`'s forward on args, then its backward on (dout, cache): the cache stays here.

    Returns (out, grads, args, dout) with args and dout as they are after both calls, so that
    the grader can tell whether either call changed its inputs.
    """
    forward, backward = _layer(layer)
    out, cache = _forward(forward, args)
    grads = backward(dout, cache)
    return out, grads, list(args), dout


def layer_outputs(layer, cases):
    """`layer`'s forward output (not the cache, which need not cross the wire) for each list of
    arguments in `cases`, in order."""
    forward, _ = _layer(layer)
    return [_forward(forward, args)[0] for args in cases]


def net_losses(net, X, y, settings):
    """The loss of `net` on (X, y) under each of `settings`, dicts {param name: array} that
    replace those entries of net.params for one evaluation.

    The entries are replaced in the net's own params dict (the one the student's loss reads);
    the original arrays go back afterwards, also when the student's loss raises.
    """
    original = dict(net.params)
    losses = []
    try:
        for setting in settings:
            net.params.update(setting)
            value = net.loss(X, y)
            losses.append(value[0] if isinstance(value, tuple) and value else value)
            net.params.update(original)
    finally:
        net.params.update(original)
    return losses


def ready():
    """Nothing: the request that starts a worker before its first real use."""
    return None
