"""The classifier in Keras 3: the seed's Conv1D + BiLSTM, a pooled MLP, or a seed ensemble."""

from __future__ import annotations

import keras

from edge_runtime.features.normalise import NUM_FEATURES
from edge_runtime.labels import NUM_CLASSES

from .config import TrainConfig


def build_model(
    config: TrainConfig,
    *,
    unroll: bool = False,
    batch_size: int | None = None,
    num_classes: int = NUM_CLASSES,
    api=keras,
) -> keras.Model:
    """The network `config.arch` names, or `config.ensemble` of them averaged in one model.

    `unroll=True, batch_size=1` gives the static graph that converts to builtin TFLite
    ops (no WHILE/TensorList); the weights are the same, so the two are interchangeable.
    `api=tf_keras` builds the same model in Keras 2 (see convert/graphs.py).
    """
    if config.ensemble == 1:
        return _network(config, unroll, batch_size, num_classes, api, f"edge_emo_{config.arch}")
    inputs = api.Input((config.window, NUM_FEATURES), batch_size=batch_size, name="landmarks")
    members = [
        _network(config, unroll, batch_size, num_classes, api, f"member{i}")
        for i in range(config.ensemble)
    ]
    # The mean of the members' probabilities: what averaging their timelines would give.
    outputs = api.layers.Average(name="ensemble_mean")([member(inputs) for member in members])
    return api.Model(inputs, outputs, name=f"edge_emo_{config.arch}_ensemble{config.ensemble}")


def ensemble_members(model: keras.Model, config: TrainConfig) -> list[keras.Model]:
    """The member networks of a model `build_model` made (the model itself when single)."""
    if config.ensemble == 1:
        return [model]
    return [model.get_layer(f"member{i}") for i in range(config.ensemble)]


def _network(config: TrainConfig, unroll: bool, batch_size, num_classes: int, api, name: str):
    """One network: (window, 136) standardised landmarks -> softmax over the classes."""
    layers = api.layers
    inputs = api.Input((config.window, NUM_FEATURES), batch_size=batch_size, name="landmarks")
    # Inputs arrive standardised (edge_runtime.features.normalise); noise is in those std units.
    x = layers.GaussianNoise(config.noise_std, name="augment_noise")(inputs)  # training only
    if config.arch == "pool":
        # The window's mean shape: talking and blinking average out, the expression stays.
        x = layers.GlobalAveragePooling1D(name="mean_shape")(x)
        x = layers.Dense(config.pool_units, activation="relu", name="hidden")(x)
    else:  # "bilstm": Conv1D 64 -> Conv1D 128 (stride `conv2_stride`) -> BiLSTM 128
        x = layers.Conv1D(
            config.conv1_filters,
            config.kernel_size,
            padding="same",
            activation="relu",
            name="conv1",
        )(x)
        x = layers.Conv1D(
            config.conv2_filters,
            config.kernel_size,
            strides=config.conv2_stride,
            padding="same",
            activation="relu",
            name="conv2",
        )(x)
        x = layers.Bidirectional(layers.LSTM(config.lstm_units, unroll=unroll), name="bilstm")(x)
    x = layers.Dropout(config.dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="emotion")(x)
    return api.Model(inputs, outputs, name=name)


def compile_model(model: keras.Model, config: TrainConfig) -> keras.Model:
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
        metrics=["accuracy"],
    )
    return model


def unrolled_clone(model: keras.Model, config: TrainConfig) -> keras.Model:
    """The same weights in a batch-1, unrolled-LSTM graph, for TFLite conversion."""
    clone = build_model(config, unroll=True, batch_size=1, num_classes=model.output_shape[-1])
    clone.set_weights(model.get_weights())
    return clone
