"""The sink interface and the factory that maps `--format/-o/--plot` to sinks."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from edge_runtime.timeline import SecondEntry


class Sink(Protocol):
    def open(self, header: dict[str, Any]) -> None: ...

    def write(self, entry: SecondEntry) -> None: ...

    def close(self, footer: dict[str, Any]) -> None: ...

    def abort(self) -> None: ...


def make_sinks(
    fmt: str, output: Path | None, plot: bool = False, streaming: bool = False
) -> list[Sink]:
    """Sinks for one timeline: `output` None or '-' means stdout (not for plots)."""
    from edge_runtime.sinks.csv_sink import CsvSink
    from edge_runtime.sinks.json_sink import JsonlSink, JsonSink
    from edge_runtime.sinks.plot import PlotSink

    to_stdout = output is None or str(output) == "-"
    sinks: list[Sink] = []
    if fmt == "json":
        sinks.append(JsonSink(None if to_stdout else output))
    elif fmt == "jsonl":
        sinks.append(JsonlSink(None if to_stdout else output, streaming=streaming))
    elif fmt == "csv":
        sinks.append(CsvSink(None if to_stdout else output))
    else:
        raise ValueError(f"unknown format {fmt!r}")
    if plot:
        if to_stdout:
            raise ValueError("--plot needs an output file name (-o)")
        sinks.append(PlotSink(Path(output).with_suffix(".png")))
    return sinks
