"""Writes the Keras JSON fixtures under test/fixtures/keras/ that test/unit/keras-import.test.ts reads.

For each model: <name>.keras3.json is Keras 3's `model.to_json()`, <name>.keras2.json is tf_keras's
(the Keras 2 / tf.keras format), and params.json maps each name to `model.count_params()`.
The tests read only the committed files; run this again only to refresh them:

    pip install keras tensorflow-cpu==2.21.0 tf-keras==2.21.0
    python3 scripts/make-keras-fixtures.py

Without tf_keras installed it rewrites the Keras 3 files only and keeps the Keras 2 ones.
"""

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "keras"


def sequential(k, keras3, input_shape, make_layers):
    """Keras 3 style starts with keras.Input; Keras 2 style puts input_shape on the first layer."""
    if keras3:
        return k.Sequential([k.Input(shape=input_shape)] + make_layers({}))
    return k.Sequential(make_layers({"input_shape": input_shape}))


def iris(k, keras3):
    L = k.layers
    return sequential(k, keras3, (4,), lambda first: [
        L.Dense(8, **first),
        L.Activation("relu"),
        L.Dense(3),
        L.Activation("softmax"),
    ])


def mnist_mlp(k, keras3):
    L = k.layers
    return sequential(k, keras3, (28, 28), lambda first: [
        L.Rescaling(1.0 / 255, **first),
        L.Flatten(),
        L.Dense(128, activation="relu"),
        L.Dense(10, activation="softmax"),
    ])


def mnist_mlp_functional(k, _keras3):
    L = k.layers
    pixels = k.Input(shape=(28, 28), name="pixels")
    x = L.Rescaling(1.0 / 255)(pixels)
    x = L.Flatten()(x)
    x = L.Dense(128, activation="relu")(x)
    probabilities = L.Dense(10, activation="softmax")(x)
    return k.Model(inputs=pixels, outputs=probabilities)


def housing(k, keras3):
    L = k.layers
    return sequential(k, keras3, (8,), lambda first: [
        L.Dense(16, activation="relu", **first),
        L.Dropout(0.1),
        L.Dense(16, activation="relu"),
        L.Dropout(0.1),
        L.Dense(1),
    ])


def mnist_cnn(k, keras3):
    L = k.layers
    return sequential(k, keras3, (28, 28, 1), lambda first: [
        L.Conv2D(32, (3, 3), activation="relu", **first),
        L.MaxPooling2D((2, 2)),
        L.Conv2D(64, (3, 3), activation="relu"),
        L.MaxPooling2D((2, 2)),
        L.Flatten(),
        L.Dropout(0.5),
        L.Dense(10, activation="softmax"),
    ])


def branches_concat(k, _keras3):
    """Three branches from one image, joined by Concatenate."""
    L = k.layers
    image = k.Input(shape=(16, 16, 1), name="image")
    edges = L.Conv2D(4, 3, activation="relu", name="edges")(image)
    peak = L.GlobalMaxPooling2D(name="peak")(edges)
    mean = L.GlobalAveragePooling2D(name="mean")(image)
    flat = L.Flatten(name="flat")(image)
    coarse = L.Dense(4, activation="relu", name="coarse")(flat)
    joined = L.Concatenate(name="joined")([peak, mean, coarse])
    label = L.Dense(2, activation="softmax", name="label")(joined)
    return k.Model(inputs=image, outputs=label)


def branches_add(k, _keras3):
    """A residual Add, and a Dropout (Keras 3 writes its call's training=False)."""
    L = k.layers
    features = k.Input(shape=(8,), name="features")
    hidden = L.Dense(16, activation="relu", name="hidden")(features)
    skip = L.Dense(16, use_bias=False, kernel_initializer="he_normal", name="skip")(features)
    merged = L.Add(name="merged")([hidden, skip])
    dropped = L.Dropout(0.1, name="dropped")(merged)
    normed = L.LayerNormalization(name="normed")(dropped)
    price = L.Dense(1, name="price")(normed)
    return k.Model(inputs=features, outputs=price)


def two_towers(k, _keras3):
    """Two inputs and two outputs: Keras's form of a model with several of each."""
    L = k.layers
    user = k.Input(shape=(3,), name="user")
    item = k.Input(shape=(5,), name="item")
    user_vector = L.Dense(4, activation="relu", name="user_vector")(user)
    item_vector = L.Dense(4, activation="relu", name="item_vector")(item)
    both = L.Concatenate(name="both")([user_vector, item_vector])
    score = L.Dense(1, activation="sigmoid", name="score")(both)
    rating = L.Dense(5, activation="softmax", name="rating")(both)
    return k.Model(inputs=[user, item], outputs=[score, rating])


def sequence_zoo(k, keras3):
    """Embedding, 1D convolution and pooling, LSTM and GRU."""
    L = k.layers
    return sequential(k, keras3, (20,), lambda first: [
        L.Embedding(1000, 16, **first),
        L.Conv1D(32, 5, padding="same", activation="relu"),
        L.MaxPooling1D(2),
        L.AveragePooling1D(2, strides=1),
        L.LSTM(16, return_sequences=True),
        # TensorFlow.js implements only GRU(reset_after=False).
        L.GRU(8, return_sequences=True, dropout=0.2, reset_after=False),
        L.GlobalAveragePooling1D(),
        L.Dense(1, activation="sigmoid"),
    ])


def image_zoo(k, keras3):
    """Strided, bias-free Conv2D with BatchNormalization, then Reshape into a sequence."""
    L = k.layers
    return sequential(k, keras3, (16, 16, 3), lambda first: [
        L.Conv2D(8, 3, strides=2, padding="same", use_bias=False, **first),
        L.BatchNormalization(momentum=0.9),
        L.Activation("relu"),
        L.AveragePooling2D(2),
        L.Reshape((16, 8)),
        L.GlobalMaxPooling1D(),
        L.Dense(4, activation="softmax"),
    ])


def volume(k, keras3):
    """3D convolution and pooling."""
    L = k.layers
    return sequential(k, keras3, (8, 8, 8, 1), lambda first: [
        L.Conv3D(4, 3, activation="relu", **first),
        L.MaxPooling3D(2),
        L.AveragePooling3D(3),
        L.Flatten(),
        L.Dense(2, activation="softmax"),
    ])


def unsupported_lambda(k, keras3):
    L = k.layers
    return sequential(k, keras3, (4,), lambda first: [
        L.Dense(8, activation="relu", **first),
        L.Lambda(lambda x: x * 2.0),
        L.Dense(1),
    ])


MODELS = [
    iris, mnist_mlp, mnist_mlp_functional, housing, mnist_cnn,
    branches_concat, branches_add, two_towers, sequence_zoo, image_zoo, volume, unsupported_lambda,
]


def write(keras_module, keras3, suffix, params):
    for build in MODELS:
        keras_module.backend.clear_session()
        model = build(keras_module, keras3)
        config = json.loads(model.to_json())
        (OUT / f"{build.__name__}.{suffix}.json").write_text(json.dumps(config, indent=1) + "\n")
        count = model.count_params()
        if params.setdefault(build.__name__, count) != count:
            raise SystemExit(f"{build.__name__}: Keras 2 and Keras 3 disagree on the parameter count")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    params = {}
    import keras
    write(keras, True, "keras3", params)
    try:
        import tf_keras
    except ImportError:
        print("tf_keras is not installed: keeping the committed .keras2.json files")
    else:
        write(tf_keras, False, "keras2", params)
    (OUT / "params.json").write_text(json.dumps(params, indent=2) + "\n")


if __name__ == "__main__":
    main()
