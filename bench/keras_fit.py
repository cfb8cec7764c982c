"""The Keras side of the training benchmark.

    python3 bench/keras_fit.py SPEC.json   -> one line of JSON on stdout

SPEC holds the case as the bench defines it (Keras layer names and arguments,
compile, fit, standardize) and `arrays`: the paths of x.npy and y.npy, the same
arrays the service and the tfjs script train on. The split and the scaler are
done as the service does them: the last `validation_split` of the rows, before
shuffling; StandardScaler statistics from the training rows only.
"""
import json
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import keras  # noqa: E402


def build(spec, input_shape):
    layers = [keras.Input(shape=input_shape)]
    for layer in spec["layers"]:
        args = {key: value for key, value in layer.items() if key != "type"}
        for key in ("kernel_size", "pool_size", "target_shape"):
            if key in args:
                args[key] = tuple(args[key])
        layers.append(getattr(keras.layers, layer["type"])(**args))
    return keras.Sequential(layers)


def optimizer(name):
    return keras.optimizers.Adam() if name == "adam" else keras.optimizers.RMSprop()


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    started = time.perf_counter()
    x = np.load(spec["arrays"]["x"]).astype("float32")
    y = np.load(spec["arrays"]["y"]).astype("float32")
    split_at = int(np.floor(len(x) * (1 - spec["fit"]["validation_split"])))
    x_train, x_val, y_train, y_val = x[:split_at], x[split_at:], y[:split_at], y[split_at:]
    if spec["standardize"]:
        mean = x_train.astype("float64").mean(axis=0)
        std = x_train.astype("float64").std(axis=0)
        std[std == 0] = 1
        x_train = ((x_train - mean) / std).astype("float32")
        x_val = ((x_val - mean) / std).astype("float32")

    model = build(spec, x.shape[1:])
    compile_spec = spec["compile"]
    model.compile(optimizer=optimizer(compile_spec["optimizer"]), loss=compile_spec["loss"], metrics=compile_spec["metrics"])

    fit_started = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        epochs=spec["fit"]["epochs"],
        batch_size=spec["fit"]["batch_size"],
        validation_data=(x_val, y_val),
        shuffle=True,
        verbose=0,
    )
    finished = time.perf_counter()

    fit_s = finished - fit_started
    print(
        json.dumps(
            {
                "total_s": finished - started,
                "fit_s": fit_s,
                "samples_per_s": len(x_train) * spec["fit"]["epochs"] / fit_s,
                "metrics": {key: float(values[-1]) for key, values in history.history.items()},
                # ru_maxrss is in kilobytes on Linux.
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "train_samples": int(len(x_train)),
                "validation_samples": int(len(x_val)),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
