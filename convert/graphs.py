"""The two inference graphs a trained model can be converted from.

- `unrolled`: the Keras 3 model cloned with `LSTM(unroll=True)` at batch 1: 90 steps x 2
  directions of small builtin ops (~2,700 ops). The only graph that quantises to a fully
  integer (int8 weights *and* activations) model that LiteRT runs well: the fused LSTM
  op's integer kernel measured ~5x slower than the unrolled int8 graph.
- `fused`: the same weights in a tf_keras (Keras 2) model, whose LSTM layer the TFLite
  converter turns into one builtin UNIDIRECTIONAL_SEQUENCE_LSTM op per direction (~12 ops
  in all). Float32, fp16 and dynamic-range (int8 weights, float activations) use it:
  several times faster than the unrolled graph, and no WHILE or Flex ops.
"""

from __future__ import annotations

import numpy as np


def fused_lstm_clone(model, config):
    """A tf_keras copy of the Keras 3 model, batch 1, that converts to fused LSTM ops."""
    import tf_keras

    from edge_emo.train.model import build_model

    clone = build_model(config, batch_size=1, num_classes=model.output_shape[-1], api=tf_keras)
    # Keras 2 and 3 store Conv1D, LSTM (kernel, recurrent, bias; gates i, f, c, o),
    # Bidirectional (forward, backward) and Dense weights in the same order and layout.
    clone.set_weights(model.get_weights())
    return clone


def max_output_difference(original, clone, windows: np.ndarray) -> float:
    """Largest |probability| difference between two graphs on a few windows (sanity check)."""
    diffs = [
        np.abs(
            np.asarray(original(w[None], training=False))
            - np.asarray(clone(w[None], training=False))
        ).max()
        for w in windows
    ]
    return float(max(diffs)) if diffs else 0.0
