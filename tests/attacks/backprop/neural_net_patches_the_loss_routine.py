"""TwoLayerNet.loss whose grads lack the regularization gradient, with a forged net_losses.

The module replaces the grader's routine in the worker so that the losses at perturbed
parameters are the linearization that those (wrong) grads claim.

module: neural_net
base: reference
expect: in a second, fresh worker
"""
_given_loss = TwoLayerNet.loss


def _loss_without_reg_grads(self, X, y=None):
    if y is None:
        return _given_loss(self, X)
    loss, grads = _given_loss(self, X, y)
    for name in ("W1", "W2"):
        grads[name] = grads[name] - self.reg * self.params[name]
    return loss, grads


TwoLayerNet.loss = _loss_without_reg_grads


# -- forgery --
import worker_side.backprop as _routines  # noqa: E402  (the grader's routines, in the same process)


def _forged_net_losses(net, X, y, settings):
    """The loss at the net's current params plus what its grads claim for each change."""
    loss, grads = net.loss(X, y)
    return [loss + sum(np.sum(grads[name] * (value - net.params[name])) for name, value in setting.items())
            for setting in settings]


def _forged_net_perturbed_losses(net, X, y, coords, h):
    """The routine of the grader before its fix, which moved the parameters in the worker."""
    loss, grads = net.loss(X, y)
    return [(loss + h * grads[name][tuple(index)], loss - h * grads[name][tuple(index)]) for name, index in coords]


_routines.net_losses = _forged_net_losses
_routines.net_perturbed_losses = _forged_net_perturbed_losses
