"""affine_backward with db the mean of dout, with forged worker-side layer routines.

The module replaces the grader's routines in the worker so that a layer's outputs at perturbed
inputs are the linearization that its own (wrong) backward claims.

module: layers
base: reference
expect: in a second, fresh worker
"""


def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(N, -1).T @ dout
    db = dout.mean(axis=0)
    return dx, dw, db


# -- forgery --
import worker_side.backprop as _routines  # noqa: E402  (the grader's routines, in the same process)


def _claimed_output(layer, base, args):
    """out(base) plus the change that this module's backward claims, built one output entry at a time."""
    forward, backward = _routines._layer(layer)
    out, cache = forward(*base)
    change = np.zeros(out.shape)
    for index in np.ndindex(out.shape):
        unit = np.zeros(out.shape)
        unit[index] = 1.0
        grads = backward(unit, cache)
        grads = grads if isinstance(grads, tuple) else (grads,)
        change[index] = sum(np.sum(g * (a - b)) for g, a, b in zip(grads, args, base))
    return out + change


def _forged_layer_outputs(layer, cases):
    """Linearized around the mean of the cases: for a centered difference, the point it was taken around."""
    center = [np.mean(column, axis=0) for column in zip(*cases)]
    return [_claimed_output(layer, center, args) for args in cases]


def _forged_layer_perturbed_outputs(layer, args, h):
    """The routine of the grader before its fix, which made the perturbed inputs in the worker."""
    outputs = []
    for position, array in enumerate(args):
        for index in np.ndindex(array.shape):
            for step in (h, -h):
                moved = [a.copy() for a in args]
                moved[position][index] += step
                outputs.append(_claimed_output(layer, args, moved))
    return outputs


_routines.layer_outputs = _forged_layer_outputs
_routines.layer_perturbed_outputs = _forged_layer_perturbed_outputs
