"""Outputs of a timeline. Every sink has the same three calls, so a new output is a new sink:

- `open(header)` once, with the run's header (source, model, labels, window);
- `write(entry)` for each finished second, in order;
- `close(footer)` at the end (duration, counts), or `abort()` when the run failed, which
  must leave no partial file behind.
"""

from edge_runtime.sinks.base import Sink, make_sinks
from edge_runtime.sinks.console import ConsoleSink
from edge_runtime.sinks.csv_sink import CsvSink
from edge_runtime.sinks.json_sink import JsonlSink, JsonSink
from edge_runtime.sinks.plot import PlotSink

__all__ = ["ConsoleSink", "CsvSink", "JsonSink", "JsonlSink", "PlotSink", "Sink", "make_sinks"]
