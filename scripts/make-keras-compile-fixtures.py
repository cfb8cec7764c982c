"""Writes test/fixtures/graph/keras-compile-steps.json, which test/integration/graph-keras-compile.test.ts reads.

The optimizers, losses and metrics that scripts/make-keras-graph-fixtures.py does not cover, on its small dense
model and data: Keras 3 trains from fixed initial weights, one whole-data batch per epoch and no shuffle, so that
the history's values are those of the first steps. The fixture holds the data, the initial weights, the losses,
every metric's values and the weights after the last step. The tests read only the committed file; to refresh it:

    pip install tensorflow-cpu==2.21.0 keras
    python3 scripts/make-keras-compile-fixtures.py
"""

import importlib.util
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras_fixtures import STEPS, train_case, write_fixture  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE.parent / "test" / "fixtures" / "graph" / "keras-compile-steps.json"

# The dense model's data is the other script's.
_spec = importlib.util.spec_from_file_location("graph_fixtures", HERE / "make-keras-graph-fixtures.py")
graph_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(graph_fixtures)


def dense(activation):
    """The other script's dense model (6 → 8 relu → 3), with the output activation the loss needs."""
    layers = [
        keras.Input(shape=(6,)),
        keras.layers.Dense(8, activation="relu", name="hidden"),
        keras.layers.Dense(3, activation=activation, name="out"),
    ]
    architecture = {
        "type": "sequential",
        "input_shape": [6],
        "layers": [
            {"type": "Dense", "name": "hidden", "units": 8, "activation": "relu"},
            {"type": "Dense", "name": "out", "units": 3, "activation": activation},
        ],
    }
    return keras.Sequential(layers), architecture


def data():
    """The other script's inputs and class labels, and labels of other kinds derived from them."""
    _, _, x, classes = graph_fixtures.dense_model()
    one_hot = np.eye(3, dtype="float32")[classes.astype("int64").ravel()]
    return {
        "classes": classes,
        "one_hot": one_hot,
        # Several 0/1 labels a sample: Keras's hinge losses turn them into -1/1.
        "binary": (x[:, :3] > 0).astype("float32"),
        "signs": np.where(x[:, 3:6] > 0, 1.0, -1.0).astype("float32"),
        "real": np.stack([x[:, 0] - x[:, 1], x[:, 2] * 0.5 + 0.2, np.sin(x[:, 3])], axis=1).astype("float32"),
        "positive": (np.abs(x[:, :3]) + 0.5).astype("float32"),
    }, x


# name → (output activation, labels, optimizer spec, Keras optimizer, loss, metrics)
CASES = {
    "adagrad": (
        "softmax",
        "classes",
        {"type": "adagrad", "learning_rate": 0.1, "initial_accumulator_value": 0.2},
        lambda: keras.optimizers.Adagrad(learning_rate=0.1, initial_accumulator_value=0.2),
        "sparse_categorical_crossentropy",
        ["accuracy"],
    ),
    "adadelta": (
        "softmax",
        "classes",
        {"type": "adadelta", "learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-4},
        lambda: keras.optimizers.Adadelta(learning_rate=1.0, rho=0.9, epsilon=1e-4),
        "sparse_categorical_crossentropy",
        ["accuracy"],
    ),
    "adamax": (
        "softmax",
        "classes",
        {"type": "adamax", "learning_rate": 0.02},
        lambda: keras.optimizers.Adamax(learning_rate=0.02),
        "sparse_categorical_crossentropy",
        ["accuracy", "sparse_categorical_crossentropy"],
    ),
    "hinge": (
        "tanh",
        "binary",
        {"type": "sgd", "learning_rate": 0.1},
        lambda: keras.optimizers.SGD(learning_rate=0.1),
        "hinge",
        ["squared_hinge", "binary_accuracy"],
    ),
    "squared_hinge": (
        "tanh",
        "signs",
        {"type": "sgd", "learning_rate": 0.1},
        lambda: keras.optimizers.SGD(learning_rate=0.1),
        "squared_hinge",
        ["hinge"],
    ),
    "categorical_hinge": (
        "softmax",
        "one_hot",
        {"type": "sgd", "learning_rate": 0.5},
        lambda: keras.optimizers.SGD(learning_rate=0.5),
        "categorical_hinge",
        ["categorical_hinge", "categorical_accuracy", "categorical_crossentropy", "kl_divergence"],
    ),
    "cosine_similarity": (
        "linear",
        "real",
        {"type": "sgd", "learning_rate": 0.5},
        lambda: keras.optimizers.SGD(learning_rate=0.5),
        "cosine_similarity",
        ["cosine_similarity", "mse", "mae", "log_cosh_error"],
    ),
    "poisson": (
        "softplus",
        "positive",
        {"type": "sgd", "learning_rate": 0.1},
        lambda: keras.optimizers.SGD(learning_rate=0.1),
        "poisson",
        ["poisson", "mape", "msle", "mean_squared_error"],
    ),
}


def main():
    labels, x = data()
    cases = []
    for name, (activation, label_kind, spec, optimizer, loss, metrics) in CASES.items():
        keras.utils.set_random_seed(7)
        model, architecture = dense(activation)
        definition = {"architecture": architecture, "compile": {"optimizer": spec, "loss": loss, "metrics": metrics}}
        cases.append(train_case(f"dense/{name}", model, definition, optimizer(), x, labels[label_kind]))
    write_fixture(OUT, "scripts/make-keras-compile-fixtures.py", cases, keras=keras.__version__, backend=keras.backend.backend(), steps=STEPS)


if __name__ == "__main__":
    main()
