"""The submission of optimization/reads_the_closure_of_f.py without its forgery: the reference
with numerical_gradient_forward and _centered left unimplemented, as in the stubs.

module: optimization
base: reference
"""


def numerical_gradient_forward(f, x, h=1e-5):
    raise NotImplementedError("Implement numerical_gradient_forward in lib/optimization.py")


def numerical_gradient_centered(f, x, h=1e-5):
    raise NotImplementedError("Implement numerical_gradient_centered in lib/optimization.py")
