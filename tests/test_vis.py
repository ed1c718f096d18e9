"""The plotting helpers run headless and label what they draw."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from solutions import vis  # noqa: E402

DIGIT_NAMES = [str(d) for d in range(10)]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def images_with_labels(shape, dtype, high):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 8)
    return (rng.uniform(0, high, size=(len(y),) + shape)).astype(dtype), y


def drawn_images(fig):
    return [image for ax in fig.axes for image in ax.get_images()]


@pytest.mark.parametrize("shape, dtype, high", [
    ((8, 8), np.float64, 16),      # the digits
    ((32, 32, 3), np.uint8, 255),  # CIFAR-10 as stored
    ((32, 32, 3), np.float64, 255),  # CIFAR-10 as load_cifar10 returns it
])
def test_show_examples(shape, dtype, high):
    X, y = images_with_labels(shape, dtype, high)
    fig = vis.show_examples(X, y, DIGIT_NAMES, per_class=3, seed=0)
    assert fig.get_suptitle() and fig.get_supxlabel() and fig.get_supylabel()
    assert len(drawn_images(fig)) == 10 * 3
    assert [fig.axes[i].get_title() for i in range(10)] == DIGIT_NAMES  # top row
    if len(shape) == 3:  # colour floats 0..255 are shown as uint8, not clipped to 0..1
        assert all(image.get_array().dtype == np.uint8 for image in drawn_images(fig))


def test_show_examples_with_a_small_class():
    X, y = images_with_labels((8, 8), np.float64, 16)
    y[y == 9] = 0  # no 9s left
    fig = vis.show_examples(X, y, DIGIT_NAMES, per_class=2, seed=0)
    assert len(drawn_images(fig)) == 9 * 2


def test_show_examples_refuses_flat_rows():
    with pytest.raises(ValueError, match=r"found shape \(5, 64\)"):
        vis.show_examples(np.zeros((5, 64)), np.zeros(5, dtype=int), DIGIT_NAMES)


@pytest.mark.parametrize("image_shape, rows", [
    ((8, 8), 64), ((8, 8), 65), ((32, 32, 3), 3073)])
def test_show_class_templates(image_shape, rows):
    W = np.random.default_rng(0).standard_normal((rows, 10))
    fig = vis.show_class_templates(W, image_shape, DIGIT_NAMES, title="Softmax templates")
    assert fig.get_suptitle() == "Softmax templates" and fig.get_supxlabel()
    images = drawn_images(fig)
    assert len(images) == 10
    assert [ax.get_title() for ax in fig.axes] == DIGIT_NAMES
    # One common 0..255 scale: the smallest weight of all templates is 0, the largest 255.
    values = np.stack([image.get_array() for image in images])
    assert values.min() == 0 and values.max() == 255


def test_show_class_templates_of_an_all_zero_W():
    fig = vis.show_class_templates(np.zeros((65, 10)), (8, 8), DIGIT_NAMES)
    assert all(np.all(image.get_array() == 0) for image in drawn_images(fig))


def test_show_class_templates_refuses_wrong_shapes():
    with pytest.raises(ValueError, match=r"expected \(64, C\) or \(65, C\), found \(66, 10\)"):
        vis.show_class_templates(np.zeros((66, 10)), (8, 8), DIGIT_NAMES)
    with pytest.raises(ValueError, match="expected 10 columns for 10 class names, found 3"):
        vis.show_class_templates(np.zeros((64, 3)), (8, 8), DIGIT_NAMES)


def test_plot_loss_curve_new_axes():
    losses = [2.3, 1.9, 1.2, 0.8]
    ax = vis.plot_loss_curve(losses, title="SVM loss")
    assert ax.get_title() == "SVM loss"
    assert ax.get_xlabel() == "iteration" and ax.get_ylabel() == "loss"
    x, y = ax.lines[0].get_data()
    assert list(x) == [0, 1, 2, 3] and list(y) == losses


def test_plot_loss_curve_into_given_axes():
    _, ax = plt.subplots()
    assert vis.plot_loss_curve([1.0, 0.5], ax=ax) is ax
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
