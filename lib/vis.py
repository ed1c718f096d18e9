"""Plots for the notebooks: example images, learned class templates, loss curves.

Each helper draws into a new figure (or the axes it is given) and returns it; none calls
plt.show(), so a notebook shows the figure at the end of the cell and a test can inspect it.
"""
import math

import matplotlib.pyplot as plt
import numpy as np


def show_examples(X_images, y, class_names, per_class=7, seed=None):
    """Grid of example images: one column per class, `per_class` random images in each.

    Inputs:
    - X_images: raw images, shape (N, H, W) grayscale (e.g. the digits, values 0..16) or
      (N, H, W, 3) colour with values 0..255 (uint8 or float, e.g. CIFAR-10).
    - y: int array of shape (N,), labels in [0, len(class_names)).
    - class_names: list of C class names, the column titles.
    - per_class: images per class (fewer when a class has fewer).
    - seed: seed of `np.random.default_rng` that picks the images (None: fresh entropy).

    Returns the matplotlib Figure.
    """
    X_images, y = np.asarray(X_images), np.asarray(y)
    colour = X_images.ndim == 4 and X_images.shape[-1] == 3
    if not (colour or X_images.ndim == 3):
        raise ValueError(f"X_images must be grayscale (N, H, W) or colour (N, H, W, 3) "
                         f"images, found shape {X_images.shape}.")
    # Grayscale: reversed (ink dark on white, as the digits were written), with one scale for
    # the whole grid so that equal values look equal everywhere.
    style = {} if colour else dict(cmap="gray_r", vmin=X_images.min(), vmax=X_images.max())
    rng = np.random.default_rng(seed)
    num_classes = len(class_names)
    fig, axes = plt.subplots(per_class, num_classes, squeeze=False,
                             figsize=(1.1 * num_classes, 1.1 * per_class + 0.8))
    for column, name in enumerate(class_names):
        members = np.flatnonzero(y == column)
        chosen = rng.choice(members, min(per_class, len(members)), replace=False)
        for row, ax in enumerate(axes[:, column]):
            ax.axis("off")
            if row < len(chosen):
                image = X_images[chosen[row]]
                ax.imshow(_as_rgb_uint8(image) if colour else image, **style)
        axes[0, column].set_title(name, fontsize=9)
    fig.suptitle("Example images per class")
    fig.supxlabel("class")
    fig.supylabel(f"random examples (up to {per_class} per class)")
    return fig


def show_class_templates(W, image_shape, class_names, title="Learned class templates"):
    """One image per class of the weights of a linear classifier.

    Inputs:
    - W: weights of shape (D, C) or (D + 1, C), D = prod(image_shape); with D + 1 rows the
      last row is the bias (the bias trick of `load_dataset`) and is left out.
    - image_shape: shape of one image, (H, W) or (H, W, 3).
    - class_names: list of the C class names.
    - title: the figure title.

    All templates are rescaled to 0..255 with one common scale (the min and max over every
    template, as CS231n does), so their brightness can be compared across classes.

    Returns the matplotlib Figure.
    """
    W = np.asarray(W)
    num_pixels = math.prod(image_shape)
    if W.ndim != 2 or W.shape[0] not in (num_pixels, num_pixels + 1):
        raise ValueError(f"W must have one row per pixel of an image of shape {image_shape}, "
                         f"plus optionally a bias row: expected ({num_pixels}, C) or "
                         f"({num_pixels + 1}, C), found {W.shape}.")
    if W.shape[1] != len(class_names):
        raise ValueError(f"W must have one column per class: expected {len(class_names)} "
                         f"columns for {len(class_names)} class names, found {W.shape[1]}.")
    templates = W[:num_pixels].reshape(*image_shape, W.shape[1])
    low, high = templates.min(), templates.max()
    # An all-equal W (e.g. zeros before training) has no range to stretch: show it black.
    scaled = 255.0 * (templates - low) / ((high - low) or 1.0)
    num_columns = min(len(class_names), 5)
    num_rows = math.ceil(len(class_names) / num_columns)
    fig, axes = plt.subplots(num_rows, num_columns, squeeze=False,
                             figsize=(2 * num_columns, 2 * num_rows + 0.8))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(class_names):
            ax.imshow(scaled[..., i].astype(np.uint8), cmap="gray", vmin=0, vmax=255)
            ax.set_title(class_names[i])
    fig.suptitle(title)
    fig.supxlabel("class (weights rescaled to 0..255: bright = large weight)")
    return fig


def plot_loss_curve(loss_history, title="Training loss", ax=None):
    """Loss against iteration.

    Inputs:
    - loss_history: sequence of losses, one per iteration.
    - title: the axes title.
    - ax: matplotlib Axes to draw into; None makes a new figure.

    Returns the matplotlib Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    ax.plot(np.arange(len(loss_history)), loss_history)
    ax.set_title(title)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    return ax


def _as_rgb_uint8(image):
    """A colour image with values 0..255 as uint8: imshow reads float colours as 0..1."""
    if image.dtype == np.uint8:
        return image
    return np.clip(image, 0, 255).astype(np.uint8)
