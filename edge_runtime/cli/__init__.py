"""`edge-emo`: one command line for extraction, labelling, training, conversion, inference,
fleets and benchmarks; one module per command group.

The runtime commands (`extract`, `run`, `listen`, `service`, `benchmark`, `info`) need only the base
install; `synth`, `train`, `label`, `sheets`, `score`, `evaluate` and `convert` come from the
`[train]` extra and are imported only when called, so the edge runtime never loads TensorFlow.
"""

from __future__ import annotations

import os

# isort: off
# Importing a command module registers its commands, in the order `edge-emo --help` lists.
from edge_runtime.cli import runtime, fleet, serve, service, training  # noqa: F401

# isort: on
from edge_runtime.cli.app import app, fail, handle_errors
from edge_runtime.cli.mqtt_options import DEFAULT_QUEUE_SIZE

__all__ = ["DEFAULT_QUEUE_SIZE", "app", "fail", "handle_errors", "main"]


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("GLOG_minloglevel", "2")
    app(prog_name="edge-emo")
