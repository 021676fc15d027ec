"""edge-emo's training side (installed as `edge_emo.train`): data loading, synthetic data,
the Conv1D+BiLSTM model, training and evaluation.

Only `model`, `trainer` and the Keras parts of `evaluate` need TensorFlow; data loading
and the synthetic generator are plain NumPy.
"""
