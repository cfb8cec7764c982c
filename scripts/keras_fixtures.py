"""What the make-keras-*-fixtures.py scripts share: how Keras trains a case's first steps and how they are written.

Keras 3 trains from fixed initial weights, one whole-data batch per epoch and no shuffle, so that the history's
values are those of the first steps.
"""

import json

import keras
import numpy as np

STEPS = 5


def weights_of(model):
    """Every weight by the layer that owns it (a path's second part: `sequential/rec/lstm_cell/kernel` → `rec`)."""
    return [
        {"layer": w.path.split("/")[1], "weight": w.name, "shape": list(w.shape), "data": np.asarray(w).ravel().tolist()}
        for w in model.weights
    ]


def start_biases(model):
    """Biases start away from zero, so that the test sees them move from a known value."""
    for weight in model.weights:
        if weight.name == "bias":
            weight.assign(np.linspace(-0.1, 0.1, weight.shape[0]).astype("float32"))


def train_case(name, model, definition, optimizer, x, y):
    """Keras's first STEPS steps of `model`, compiled as `definition` says, as a fixture case: the data, the
    initial weights, the losses, every metric's values and the weights after the last step."""
    compile_spec = definition["compile"]
    start_biases(model)
    model.compile(optimizer=optimizer, loss=compile_spec["loss"], metrics=compile_spec["metrics"])
    initial = weights_of(model)
    history = model.fit(x, y, batch_size=len(x), epochs=STEPS, shuffle=False, verbose=0)
    return {
        "name": name,
        "definition": definition,
        "x": {"shape": list(x.shape), "data": x.ravel().tolist()},
        "y": {"shape": list(y.shape), "data": y.ravel().tolist()},
        "initial_weights": initial,
        "losses": [float(v) for v in history.history["loss"]],
        "metrics": {key: [float(v) for v in history.history[key]] for key in compile_spec["metrics"]},
        "final_weights": weights_of(model),
    }


def write_fixture(out, script, cases, **meta):
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"generated_by": script, **meta, "cases": cases}) + "\n")
    print(f"wrote {out} ({len(cases)} cases)")
