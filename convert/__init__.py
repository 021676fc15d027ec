"""edge-emo conversion (installed as `edge_emo.convert`): Keras -> gated TFLite."""
