"""Routines that the backprop checks run in the worker, on the student's objects (see __init__.py).

Each one does in a single round trip what would otherwise take hundreds: build graphs with the
student's `Value` and backpropagate, evaluate a layer at many perturbed inputs, or evaluate a
TwoLayerNet's loss with one parameter entry moved at a time. They return numbers only; the
grader computes finite differences and judges on its own side.

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

import numpy as np

__all__ = ["evaluate_graphs", "graph_outputs", "layer_forward_backward", "layer_perturbed_outputs",
           "net_perturbed_losses"]

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


def layer_perturbed_outputs(layer, args, h):
    """`layer`'s forward output (not the cache) with each entry of each argument moved by +h, then
    by -h, on fresh copies: [out(+h), out(-h)] per entry, arguments and entries in order
    (np.ndindex). The arguments cross once; the perturbed copies are made here."""
    forward, _ = _layer(layer)
    outputs = []
    for position, array in enumerate(args):
        for index in np.ndindex(array.shape):
            for step in (h, -h):
                moved = [a.copy() for a in args]
                moved[position][index] += step
                outputs.append(_forward(forward, moved)[0])
    return outputs


def net_perturbed_losses(net, X, y, coords, h):
    """For each (param name, index) in coords: (loss with that entry + h, loss with it - h).

    The entry is moved on a copy of the parameter, put in net.params for the two evaluations;
    the original array goes back afterwards, also when the student's loss raises.
    """
    losses = []
    for name, index in coords:
        original = net.params[name]
        try:
            pair = []
            for step in (h, -h):
                moved = original.copy()
                moved[tuple(index)] += step
                net.params[name] = moved
                value = net.loss(X, y)
                pair.append(value[0] if isinstance(value, tuple) and value else value)
            losses.append(tuple(pair))
        finally:
            net.params[name] = original
    return losses
