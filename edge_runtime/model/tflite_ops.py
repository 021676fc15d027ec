"""Read the operator list of a .tflite flatbuffer without TensorFlow.

Used to refuse models that would not run on the edge interpreter (Flex/Select-TF
ops, control flow, resource variables) and to show what a model contains.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from edge_runtime.errors import ModelError

FORBIDDEN_BUILTINS = frozenset(
    {
        "WHILE",
        "IF",
        "CALL_ONCE",
        "VAR_HANDLE",
        "READ_VARIABLE",
        "ASSIGN_VARIABLE",
        "HASHTABLE",
        "HASHTABLE_FIND",
        "HASHTABLE_IMPORT",
        "HASHTABLE_SIZE",
    }
)
"""Ops that need control flow or resource variables; with Flex ops, a model must contain none."""


# (op, version) pairs that ai-edge-litert 2.1.6, the interpreter pinned for aarch64 (Pi),
# was seen to load and run: every op of the int8, dynamic, fp16 and float32 conversions of
# the default model by TF 2.21 (2026-11-25, x86 and emulated Cortex-A72/A76), and the
# QUANTIZE v1 / DEQUANTIZE v2 of the 1 s default (2026-11-30, the same harness). An op
# version outside this set may still load; it just has not been checked on the Pi interpreter.
PI_CHECKED_OPS = frozenset(
    {
        ("ADD", 2), ("CONCATENATION", 1), ("CONCATENATION", 2), ("CONV_2D", 1), ("CONV_2D", 3),
        ("CONV_2D", 5), ("DEQUANTIZE", 2), ("DEQUANTIZE", 3), ("FULLY_CONNECTED", 1), ("FULLY_CONNECTED", 4),
        ("FULLY_CONNECTED", 12), ("LOGISTIC", 2), ("MUL", 2), ("QUANTIZE", 1), ("RESHAPE", 1), ("REVERSE_V2", 1),
        ("SOFTMAX", 1), ("SOFTMAX", 2), ("SPLIT", 2), ("STRIDED_SLICE", 1), ("TANH", 2),
        ("UNIDIRECTIONAL_SEQUENCE_LSTM", 1), ("UNIDIRECTIONAL_SEQUENCE_LSTM", 3), ("UNPACK", 2),
    }
)  # fmt: skip


@dataclass(frozen=True)
class OperatorCode:
    name: str
    version: int
    custom: bool

    @property
    def forbidden(self) -> bool:
        return (self.custom and self.name.startswith("Flex")) or self.name in FORBIDDEN_BUILTINS


def _builtin_names() -> dict[int, str]:
    try:
        from ai_edge_litert.schema_py_generated import BuiltinOperator
    except ImportError:
        return {}
    return {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}


def operator_codes(model: bytes) -> list[OperatorCode]:
    """The distinct operator codes a TFLite model uses, in file order."""
    if len(model) < 8 or model[4:8] != b"TFL3":
        raise ModelError("not a TFLite flatbuffer (no TFL3 identifier)")
    try:
        return _parse(model)
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise ModelError(f"corrupt TFLite flatbuffer ({exc})") from None


def _parse(buf: bytes) -> list[OperatorCode]:
    u32 = lambda off: struct.unpack_from("<I", buf, off)[0]  # noqa: E731
    i32 = lambda off: struct.unpack_from("<i", buf, off)[0]  # noqa: E731

    def field(table: int, index: int) -> int | None:
        vtable = table - i32(table)
        vt_size = struct.unpack_from("<H", buf, vtable)[0]
        slot = 4 + 2 * index
        if slot >= vt_size:
            return None
        rel = struct.unpack_from("<H", buf, vtable + slot)[0]
        return table + rel if rel else None

    def deref(off: int) -> int:
        return off + u32(off)

    names = _builtin_names()
    model = deref(0)
    codes_field = field(model, 1)
    if codes_field is None:
        return []
    vec = deref(codes_field)
    out = []
    for i in range(u32(vec)):
        code = deref(vec + 4 + 4 * i)
        dep = field(code, 0)
        custom = field(code, 1)
        version = field(code, 2)
        builtin = field(code, 3)
        number = max(
            struct.unpack_from("<b", buf, dep)[0] if dep else 0,
            i32(builtin) if builtin else 0,
        )
        if custom is not None:
            s = deref(custom)
            name = buf[s + 4 : s + 4 + u32(s)].decode("utf-8")
            is_custom = True
        else:
            name = names.get(number, f"BUILTIN_{number}")
            is_custom = False
        out.append(OperatorCode(name, i32(version) if version else 1, is_custom))
    return out


def forbidden_ops(model: bytes) -> list[str]:
    """Names of ops in `model` that the edge interpreter cannot run (empty list = fine)."""
    return sorted({op.name for op in operator_codes(model) if op.forbidden})


def unchecked_on_pi(model: bytes) -> list[str]:
    """'OP vN' for builtin ops whose version was never checked on the aarch64 interpreter pin."""
    return sorted(
        {
            f"{c.name} v{c.version}"
            for c in operator_codes(model)
            if not c.custom and (c.name, c.version) not in PI_CHECKED_OPS
        }
    )
