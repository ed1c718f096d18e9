"""numerical_gradient_forward computes the centered difference (its error is O(h**2), not O(h)).

module: optimization
caught_by: numerical_gradient_error_order
hint: as a centered difference's does
"""


def numerical_gradient_forward(f, x, h=1e-5):
    return numerical_gradient_centered(f, x, h)
