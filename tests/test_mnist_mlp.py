"""Shape tests of the MNIST MLP assignment: tiny inputs, no data."""

import numpy as np
import pytest

from assignments import mnist_mlp
from common import plots


def test_model_shapes_and_parameter_count():
    model = mnist_mlp.build_model()
    outputs = np.asarray(model(np.random.rand(4, 784).astype("float32")))
    assert outputs.shape == (4, 10)
    np.testing.assert_allclose(outputs.sum(axis=1), 1.0, rtol=1e-5)  # softmax
    assert outputs.min() >= 0
    assert [model.get_layer(f"dense_{i}").units for i in (1, 2, 3)] == [20, 7, 5]
    assert tuple(model.get_layer("dense_1").kernel.shape) == (784, 20)
    # 784-20-7-5-10 with biases
    assert model.count_params() == (784 * 20 + 20) + (20 * 7 + 7) + (7 * 5 + 5) + (5 * 10 + 10)
    assert not model.losses  # no regularization by default


def test_batch_norm_and_l2_variants():
    model = mnist_mlp.build_model(
        hidden_units=(6, 4), batch_norm=True, l2=1e-5, input_dim=12, num_classes=3
    )
    assert tuple(model(np.zeros((2, 12), "float32")).shape) == (2, 3)
    batch_norms = [
        layer for layer in model.layers if layer.__class__.__name__ == "BatchNormalization"
    ]
    assert len(batch_norms) == 2
    assert (
        model.get_layer("dense_1").use_bias is False
    )  # the normalization's shift replaces the bias
    assert len(model.losses) == 3  # one L2 term per kernel: two hidden layers and the output
    kernel = np.asarray(model.get_layer("dense_1").kernel)
    penalty = float(np.asarray(model.losses[0]))
    assert penalty == pytest.approx(1e-5 * float(np.sum(kernel**2)), rel=1e-4)


@pytest.mark.parametrize(
    "kwargs", [{"hidden_units": ()}, {"hidden_units": (20, 0)}, {"l2": -1.0}, {"num_classes": 1}]
)
def test_model_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        mnist_mlp.build_model(**kwargs)


def test_experiment_rows_of_the_handout():
    rows = mnist_mlp.experiment_rows()
    names = [row.name for row in rows]
    assert names == [
        "baseline",
        "batch_16",
        "batch_128",
        "lr_1e-2",
        "lr_1e-4",
        "batch_norm",
        "l2",
        "batch_norm_l2",
    ]
    by_name = {row.name: row for row in rows}
    assert by_name["baseline"].batch_size == 32 and by_name["baseline"].learning_rate == 1e-3
    assert by_name["batch_16"].batch_size == 16 and by_name["batch_16"].learning_rate == 1e-3
    assert by_name["lr_1e-4"].learning_rate == 1e-4 and by_name["lr_1e-4"].batch_size == 32
    assert by_name["l2"].l2 == 1e-5 and not by_name["l2"].batch_norm
    assert by_name["batch_norm_l2"].batch_norm and by_name["batch_norm_l2"].l2 == 1e-5
    assert by_name["batch_norm"].l2 == 0 and by_name["baseline"].l2 == 0


def test_experiment_rows_subset_and_errors():
    rows = mnist_mlp.experiment_rows(
        batch_size=64, learning_rate=3e-3, batch_sizes=(64, 8), groups=("batch_size",)
    )
    assert [row.name for row in rows] == ["baseline", "batch_8"]
    assert rows[1].learning_rate == 3e-3
    with pytest.raises(ValueError, match="unknown"):
        mnist_mlp.experiment_rows(groups=("dropout",))
    with pytest.raises(ValueError, match="> 0"):
        mnist_mlp.experiment_rows(learning_rates=(0.0,))


def test_rate_name():
    assert [mnist_mlp.rate_name(v) for v in (1e-2, 1e-4, 3e-3, 1.5e-3)] == [
        "1e-2",
        "1e-4",
        "3e-3",
        "1.5e-3",
    ]


def test_lit_pixels_and_weight_statistics():
    images = np.zeros((3, 5), "float32")
    images[0, 1] = 0.5
    images[2, 4] = 1.0
    assert mnist_mlp.lit_pixels(images).tolist() == [False, True, False, False, True]
    stats = mnist_mlp.weight_statistics(np.array([[-0.5, 0.5], [0.0, 0.005]]))
    assert stats["count"] == 4
    assert stats["mean"] == pytest.approx(0.00125)
    assert stats["mean_abs"] == pytest.approx(0.25125)
    assert stats["max_abs"] == pytest.approx(0.5)
    assert stats["share_below_0.01"] == pytest.approx(0.5)
    assert mnist_mlp.weight_statistics(np.array([]))["count"] == 0


def test_figures_and_table():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    kernels = {"initial": rng.normal(size=(6, 2)), "trained": rng.normal(size=(6, 2))}
    lit = np.array([True, False] * 3)
    panels = {"all": kernels, "lit": {label: k[lit] for label, k in kernels.items()}}
    figure = plots.overlaid_histograms(panels, "weights", xlabel="weight")
    assert len(figure.axes) == 2
    plt.close(figure)
    history = {
        "loss": [1.0, 0.5],
        "val_loss": [1.1, 0.6],
        "accuracy": [0.5, 0.8],
        "val_accuracy": [0.4, 0.7],
    }
    figure = plots.grouped_learning_curves({"a": history, "b": history}, {"group": ["a", "b"]})
    assert len(figure.axes) == 2
    plt.close(figure)

    row = mnist_mlp.experiment_rows(groups=())[0]
    result = {
        "experiment": row,
        "best_epoch": 3,
        "epochs_run": 5,
        "validation_accuracy": 0.9,
        "validation_loss": 0.35,
        "test_accuracy": 0.91,
        "test_loss": 0.3,
        "train_seconds": 10.0,
        "seconds_per_epoch": 2.0,
    }
    table = mnist_mlp.results_table([result])
    assert table.count("\n") == 2  # header, rule, one row
    cells = [cell.strip() for cell in table.splitlines()[2].strip("|").split("|")]
    assert cells[:11] == [
        "baseline",
        "32",
        "0.001",
        "False",
        "0",
        "3",
        "5",
        "0.9000",
        "0.3500",
        "0.9100",
        "0.3000",
    ]
    record = mnist_mlp.row_record(result)
    assert record["name"] == "baseline" and record["test_accuracy"] == 0.91


def test_bad_flags_exit_with_code_2(capsys):
    with pytest.raises(SystemExit) as error:
        mnist_mlp.main(["--experiments", "dropout"])
    assert error.value.code == 2
    for flags in (["--validation-split", "1.5"], ["--learning-rates", "0"], ["--l2", "-1"]):
        with pytest.raises(SystemExit) as error:
            mnist_mlp.main(flags)
        assert error.value.code == 2
        assert flags[0] in capsys.readouterr().err
