"""Writes test/fixtures/graph/keras-steps.json, which test/integration/graph-keras.test.ts reads.

For a small dense and a small convolutional model, each with rmsprop, adam and sgd with momentum, and a dense
model with BatchNormalization (its moving statistics included) with adam: Keras 3
trains from fixed initial weights on fixed data, one whole-data batch per epoch and no shuffle, so that the
history's losses are the losses of the first steps. The fixture holds the data, the initial weights, those
losses and the weights after the last step. The tests read only the committed file; to refresh it:

    pip install tensorflow-cpu==2.21.0 keras
    python3 scripts/make-keras-graph-fixtures.py
"""

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras_fixtures import STEPS, start_biases, weights_of, write_fixture  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "graph" / "keras-steps.json"

OPTIMIZERS = {
    "rmsprop": ({"type": "rmsprop", "learning_rate": 0.01}, lambda: keras.optimizers.RMSprop(learning_rate=0.01)),
    "adam": ({"type": "adam", "learning_rate": 0.01}, lambda: keras.optimizers.Adam(learning_rate=0.01)),
    "sgd_momentum": (
        {"type": "sgd", "learning_rate": 0.1, "momentum": 0.9},
        lambda: keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
    ),
}


def dense_model():
    layers = [
        keras.Input(shape=(6,)),
        keras.layers.Dense(8, activation="relu", name="hidden"),
        keras.layers.Dense(3, activation="softmax", name="out"),
    ]
    architecture = {
        "type": "sequential",
        "input_shape": [6],
        "layers": [
            {"type": "Dense", "name": "hidden", "units": 8, "activation": "relu"},
            {"type": "Dense", "name": "out", "units": 3, "activation": "softmax"},
        ],
    }
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 6)).astype("float32")
    y = ((x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5)).astype("float32").reshape(-1, 1)
    return keras.Sequential(layers), architecture, x, y


def batchnorm_model():
    layers = [
        keras.Input(shape=(6,)),
        # No bias before the normalization: its gradient is rounding noise, which Adam scales up to full steps.
        keras.layers.Dense(8, use_bias=False, name="hidden"),
        keras.layers.BatchNormalization(momentum=0.8, name="norm"),
        keras.layers.Activation("relu", name="relu"),
        keras.layers.Dense(3, activation="softmax", name="out"),
    ]
    architecture = {
        "type": "sequential",
        "input_shape": [6],
        "layers": [
            {"type": "Dense", "name": "hidden", "units": 8, "use_bias": False},
            {"type": "BatchNormalization", "name": "norm", "momentum": 0.8},
            {"type": "Activation", "name": "relu", "activation": "relu"},
            {"type": "Dense", "name": "out", "units": 3, "activation": "softmax"},
        ],
    }
    _, _, x, y = dense_model()
    return keras.Sequential(layers), architecture, x, y


def conv_model():
    layers = [
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
        keras.layers.MaxPooling2D(name="pool"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(2, activation="softmax", name="out"),
    ]
    architecture = {
        "type": "sequential",
        "input_shape": [8, 8, 1],
        "layers": [
            {"type": "Conv2D", "name": "conv", "filters": 4, "kernel_size": 3, "activation": "relu"},
            {"type": "MaxPooling2D", "name": "pool"},
            {"type": "Flatten", "name": "flatten"},
            {"type": "Dense", "name": "out", "units": 2, "activation": "softmax"},
        ],
    }
    rng = np.random.default_rng(2)
    x = rng.normal(size=(16, 8, 8, 1)).astype("float32")
    y = (x[:, :4, :, 0].mean(axis=(1, 2)) > x[:, 4:, :, 0].mean(axis=(1, 2))).astype("float32").reshape(-1, 1)
    return keras.Sequential(layers), architecture, x, y


def main():
    cases = []
    models = (("dense", dense_model, OPTIMIZERS), ("conv", conv_model, OPTIMIZERS), ("batchnorm", batchnorm_model, {"adam": OPTIMIZERS["adam"]}))
    for model_name, make, optimizers in models:
        for optimizer_name, (spec, optimizer) in optimizers.items():
            keras.utils.set_random_seed(7)
            model, architecture, x, y = make()
            start_biases(model)
            model.compile(optimizer=optimizer(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            initial = weights_of(model)
            history = model.fit(x, y, batch_size=len(x), epochs=STEPS, shuffle=False, verbose=0)
            cases.append(
                {
                    "name": f"{model_name}/{optimizer_name}",
                    "definition": {
                        "architecture": architecture,
                        "compile": {"optimizer": spec, "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
                    },
                    "x": {"shape": list(x.shape), "data": x.ravel().tolist()},
                    "y": {"shape": list(y.shape), "data": y.ravel().tolist()},
                    "initial_weights": initial,
                    "losses": [float(v) for v in history.history["loss"]],
                    "accuracy": [float(v) for v in history.history["accuracy"]],
                    "final_weights": weights_of(model),
                }
            )
    write_fixture(OUT, "scripts/make-keras-graph-fixtures.py", cases, keras=keras.__version__, steps=STEPS)


if __name__ == "__main__":
    main()
