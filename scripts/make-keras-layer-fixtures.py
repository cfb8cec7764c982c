"""Writes test/fixtures/graph/keras-layer-steps.json, which test/integration/graph-keras-layers.test.ts reads.

The layers that scripts/make-keras-graph-fixtures.py does not cover: LSTM (returning sequences or not, going
backwards), GRU (reset_after=False, the form the catalogue accepts), both with regularizers on every weight, Embedding (into Flatten and Dense, and into
an LSTM), Conv3D with MaxPooling3D and AveragePooling3D (with adam, the Embedding is Keras's with a dense gradient: see
DenseGradientEmbedding). Each model trains with sgd with momentum and with adam:
Keras 3 from fixed initial weights on fixed data, one whole-data batch per epoch and no shuffle, so that the
history's values are those of the first steps. The fixture holds the data, the initial weights, the losses,
every metric's values and the weights after the last step. Weights are named by the layer that owns them and
their own name (an LSTM's `rec/kernel`, not its cell's). The tests read only the committed file; to refresh it:

    pip install tensorflow-cpu==2.21.0 keras
    python3 scripts/make-keras-layer-fixtures.py
"""

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# oneDNN's fused kernels round differently from the plain ones the graph engine runs.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras_fixtures import STEPS, train_case, write_fixture  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE.parent / "test" / "fixtures" / "graph" / "keras-layer-steps.json"

# name → (spec, Keras optimizer, whether its update is linear in the gradient: see DenseGradientEmbedding)
OPTIMIZERS = {
    "sgd_momentum": (
        {"type": "sgd", "learning_rate": 0.1, "momentum": 0.9},
        lambda: keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
        True,
    ),
    "adam": ({"type": "adam", "learning_rate": 0.01}, lambda: keras.optimizers.Adam(learning_rate=0.01), False),
}


def sequences():
    """Regression on sequences of 5 steps of 3 features: 2 targets from early and late steps."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 5, 3)).astype("float32")
    y = np.stack([x[:, 0, 0] - x[:, 2, 1], x[:, 1, 2] * x[:, 4, 1]], axis=1).astype("float32")
    return x, y


def tokens():
    """Sequences of 4 token ids below 6 (as floats, as the service reads them); 0/1 labels from the first two."""
    rng = np.random.default_rng(4)
    x = rng.integers(0, 6, size=(24, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 5).astype("float32").reshape(-1, 1)
    return x, y


def volumes():
    """4×4×4 volumes of 2 channels; 0/1 labels from two voxels."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 4, 4, 4, 2)).astype("float32")
    y = (x[:, 0, 0, 0, 0] + x[:, 2, 1, 3, 1] > 0).astype("float32").reshape(-1, 1)
    return x, y


# The model language's regularizer specs, as Keras objects.
REGULARIZERS = {
    "L1": lambda config: keras.regularizers.L1(**config),
    "L2": lambda config: keras.regularizers.L2(**config),
    "L1L2": lambda config: keras.regularizers.L1L2(**config),
}


def keras_arguments(extra):
    """The model-language arguments as Keras takes them: regularizer specs become regularizers."""
    return {
        key: REGULARIZERS[value["class_name"]](value["config"]) if key.endswith("_regularizer") else value
        for key, value in extra.items()
    }


def lstm(name, units, **extra):
    return keras.layers.LSTM(units, name=name, **keras_arguments(extra)), {"type": "LSTM", "name": name, "units": units, **extra}


def gru(name, units, **extra):
    return (
        keras.layers.GRU(units, name=name, reset_after=False, **keras_arguments(extra)),
        {"type": "GRU", "name": name, "units": units, "reset_after": False, **extra},
    )


def regularized(kernel, recurrent, bias):
    """Penalties on every weight of a recurrent layer, large enough to show in the loss."""
    return {
        "kernel_regularizer": {"class_name": "L2", "config": {"l2": kernel}},
        "recurrent_regularizer": {"class_name": "L1", "config": {"l1": recurrent}},
        "bias_regularizer": {"class_name": "L1L2", "config": {"l1": bias, "l2": bias}},
    }


def dense(name, units, activation=None):
    spec = {"type": "Dense", "name": name, "units": units}
    if activation:
        spec["activation"] = activation
    return keras.layers.Dense(units, activation=activation, name=name), spec


def flatten(name):
    return keras.layers.Flatten(name=name), {"type": "Flatten", "name": name}


class DenseGradientEmbedding(keras.layers.Embedding):
    """Keras's Embedding with the same output, looked up as one_hot(ids) · embeddings so that its gradient is dense.

    On the TensorFlow backend, Keras's own lookup (a gather) gives the optimizer an IndexedSlices gradient,
    one slice per lookup; Keras's `ops.square` squares each slice before the slices of an id that occurs more
    than once in the batch are summed, so Adam, RMSprop, Adagrad and Adadelta accumulate Σg² where the dense
    gradient gives (Σg)². Both engines of the service use the dense gradient; this layer
    gives Keras the same, and SGD, linear in the gradient, needs no such help.
    """

    def call(self, inputs):
        ids = keras.ops.cast(inputs, "int32")
        return keras.ops.matmul(keras.ops.one_hot(ids, self.input_dim), self.embeddings)


def embedding(name, dense_gradient):
    layer = (DenseGradientEmbedding if dense_gradient else keras.layers.Embedding)(6, 3, name=name)
    return layer, {"type": "Embedding", "name": name, "input_dim": 6, "output_dim": 3}


def conv3d(name, **extra):
    return (
        keras.layers.Conv3D(3, 2, activation="relu", name=name, **extra),
        {"type": "Conv3D", "name": name, "filters": 3, "kernel_size": 2, "activation": "relu", **extra},
    )


REGRESSION = ("mse", ["mae"])
BINARY = ("binary_crossentropy", ["accuracy"])
CLASSES = ("sparse_categorical_crossentropy", ["accuracy"])

# name → (data, input shape, layers as (Keras layer, model-language spec) given whether the optimizer is linear
# in the gradient, loss, metrics)
MODELS = {
    "lstm_sequences_into_lstm_backwards": (
        sequences,
        [5, 3],
        lambda _: [lstm("first", 4, return_sequences=True), lstm("second", 3, go_backwards=True), dense("out", 2)],
        *REGRESSION,
    ),
    "lstm_backwards_sequences": (
        sequences,
        [5, 3],
        lambda _: [lstm("rec", 4, go_backwards=True, return_sequences=True), flatten("flatten"), dense("out", 2)],
        *REGRESSION,
    ),
    "gru_sequences_into_gru_backwards": (
        sequences,
        [5, 3],
        lambda _: [gru("first", 4, return_sequences=True), gru("second", 3, go_backwards=True), dense("out", 2)],
        *REGRESSION,
    ),
    "lstm_gru_regularized": (
        sequences,
        [5, 3],
        lambda _: [
            lstm("first", 4, return_sequences=True, **regularized(0.05, 0.02, 0.03)),
            # 4 units: a bias of 12, whose starting linspace has no exact 0, the kink of |b| where tfjs's
            # gradient is −1 and TensorFlow's 0.
            gru("second", 4, **regularized(0.04, 0.03, 0.02)),
            dense("out", 2),
        ],
        *REGRESSION,
    ),
    "embedding_flatten_dense": (
        tokens,
        [4],
        lambda sparse_safe: [embedding("embed", not sparse_safe), flatten("flatten"), dense("out", 1, "sigmoid")],
        *BINARY,
    ),
    "embedding_lstm": (
        tokens,
        [4],
        lambda sparse_safe: [embedding("embed", not sparse_safe), lstm("rec", 4), dense("out", 1, "sigmoid")],
        *BINARY,
    ),
    "conv3d_max_pooling": (
        volumes,
        [4, 4, 4, 2],
        lambda _: [
            conv3d("conv", padding="same"),
            (keras.layers.MaxPooling3D(name="pool"), {"type": "MaxPooling3D", "name": "pool"}),
            flatten("flatten"),
            dense("out", 2, "softmax"),
        ],
        *CLASSES,
    ),
    "conv3d_average_pooling": (
        volumes,
        [4, 4, 4, 2],
        lambda _: [
            conv3d("conv", strides=1),
            (
                keras.layers.AveragePooling3D(pool_size=2, strides=1, padding="same", name="pool"),
                {"type": "AveragePooling3D", "name": "pool", "pool_size": 2, "strides": 1, "padding": "same"},
            ),
            flatten("flatten"),
            dense("out", 2, "softmax"),
        ],
        *CLASSES,
    ),
}


def main():
    cases = []
    for model_name, (data, input_shape, make_layers, loss, metrics) in MODELS.items():
        x, y = data()
        for optimizer_name, (spec, optimizer, sparse_safe) in OPTIMIZERS.items():
            keras.utils.set_random_seed(7)
            layers = make_layers(sparse_safe)
            model = keras.Sequential([keras.Input(shape=tuple(input_shape)), *(layer for layer, _ in layers)])
            architecture = {"type": "sequential", "input_shape": input_shape, "layers": [spec for _, spec in layers]}
            definition = {"architecture": architecture, "compile": {"optimizer": spec, "loss": loss, "metrics": metrics}}
            cases.append(train_case(f"{model_name}/{optimizer_name}", model, definition, optimizer(), x, y))
    write_fixture(OUT, "scripts/make-keras-layer-fixtures.py", cases, keras=keras.__version__, backend=keras.backend.backend(), steps=STEPS)


if __name__ == "__main__":
    main()
