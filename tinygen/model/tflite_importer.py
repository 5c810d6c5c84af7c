"""Reads a .tflite flatbuffer into the graph IR, checking every reference along the way."""

import math
from pathlib import Path

import numpy as np

from ..errors import ModelFormatError
from . import tflite_schema as fb
from .flatbuffer import Buffer, Table
from .graph import Graph, Operator, Quantization, Tensor

_IDENTIFIER = b"TFL3"


def load_tflite(path: str | Path) -> Graph:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFormatError(f"cannot read model file {path}: {exc.strerror}") from None
    return parse_tflite(data, what=f"model file {path}")


def parse_tflite(data: bytes, what: str = "model") -> Graph:
    if len(data) < 8 or data[4:8] != _IDENTIFIER:
        raise ModelFormatError(
            f"{what} is not a TFLite flatbuffer (no '{_IDENTIFIER.decode()}' identifier at byte 4); "
            "give a .tflite file written by the TFLite converter"
        )
    try:
        return _Importer(Buffer(data, what), what).graph()
    except (UnicodeDecodeError, ValueError, OverflowError) as exc:
        raise ModelFormatError(f"{what} is corrupt: {exc}") from None


class _Importer:
    def __init__(self, buf: Buffer, what: str):
        self.buf = buf
        self.what = what
        self.model = buf.root()

    def fail(self, message: str):
        raise ModelFormatError(f"{self.what} is corrupt: {message}")

    def graph(self) -> Graph:
        subgraphs = self.model.table_vector(fb.MODEL_SUBGRAPHS)
        if not subgraphs:
            self.fail("it has no subgraph")
        self.buffers = self.model.table_vector(fb.MODEL_BUFFERS)
        self.opcodes = [self._opcode_name(code) for code in self.model.table_vector(fb.MODEL_OPERATOR_CODES)]
        main = subgraphs[0]
        tensors = [self._tensor(i, t) for i, t in enumerate(main.table_vector(fb.SUBGRAPH_TENSORS))]
        operators = [self._operator(i, op, len(tensors))
                     for i, op in enumerate(main.table_vector(fb.SUBGRAPH_OPERATORS))]
        inputs = main.scalar_vector(fb.SUBGRAPH_INPUTS, "i")
        outputs = main.scalar_vector(fb.SUBGRAPH_OUTPUTS, "i")
        for index in inputs + outputs:
            if not 0 <= index < len(tensors):
                self.fail(f"graph input/output refers to tensor {index}, which does not exist")
        if not inputs or not outputs:
            self.fail("the graph declares no inputs or no outputs")
        return Graph(tensors, operators, inputs, outputs, self.model.string(fb.MODEL_DESCRIPTION))

    def _opcode_name(self, code: Table) -> str:
        builtin = max(code.scalar(fb.OPCODE_DEPRECATED_BUILTIN, "b"), code.scalar(fb.OPCODE_BUILTIN, "i"))
        name = fb.builtin_name(builtin)
        if name == "CUSTOM":
            name = f"CUSTOM({code.string(fb.OPCODE_CUSTOM_CODE, '?')})"
        return name

    def _tensor(self, index: int, table: Table) -> Tensor:
        shape = tuple(table.scalar_vector(fb.TENSOR_SHAPE, "i"))
        if any(dim < 0 for dim in shape):
            self.fail(f"tensor {index} has a dynamic or negative shape {shape}")
        dtype = fb.type_name(table.scalar(fb.TENSOR_TYPE, "b"))
        tensor = Tensor(index, table.string(fb.TENSOR_NAME, f"tensor_{index}"), shape, dtype,
                        self._quantization(table.table(fb.TENSOR_QUANTIZATION)))
        tensor.data = self._constant(tensor, table.scalar(fb.TENSOR_BUFFER, "I"))
        if table.has(fb.TENSOR_SPARSITY):
            tensor.dtype = f"sparse {dtype}"     # TFLite-encoded sparsity: refused by the compiler
        return tensor

    def _quantization(self, table: Table | None) -> Quantization | None:
        if table is None:
            return None
        scale = table.scalar_vector(fb.QUANT_SCALE, "f")
        zero_point = table.scalar_vector(fb.QUANT_ZERO_POINT, "q")
        if not scale or not zero_point:
            return None        # TFLM treats a tensor without both as not quantized
        if not all(math.isfinite(s) and s >= 0 for s in scale):
            self.fail(f"quantization scales must be finite and non-negative, found {scale[:4]}")
        if len(zero_point) != len(scale):
            self.fail(f"quantization has {len(scale)} scales but {len(zero_point)} zero points")
        return Quantization(tuple(scale), tuple(zero_point),
                            table.scalar(fb.QUANT_DIMENSION, "i"))

    def _constant(self, tensor: Tensor, buffer_index: int) -> np.ndarray | None:
        if buffer_index == 0:
            return None
        if buffer_index >= len(self.buffers):
            self.fail(f"tensor {tensor.index} refers to buffer {buffer_index} of {len(self.buffers)}")
        buffer = self.buffers[buffer_index]
        raw = buffer.bytes_vector(fb.BUFFER_DATA)
        if not raw and buffer.scalar(fb.BUFFER_OFFSET, "Q") > 1:
            # Models over 2 GB keep buffers after the flatbuffer, addressed from the file start.
            raw = self.buf.slice(buffer.scalar(fb.BUFFER_OFFSET, "Q"), buffer.scalar(fb.BUFFER_SIZE, "Q"))
        if not raw:
            return None
        dtype = fb.NUMPY_DTYPES.get(tensor.dtype)
        if dtype is None:
            return np.frombuffer(raw, dtype=np.uint8)   # kept raw; the compiler refuses the type
        expected = tensor.size * np.dtype(dtype).itemsize
        if len(raw) != expected:
            self.fail(f"tensor {tensor.index} ('{tensor.name}') holds {len(raw)} bytes of data, "
                      f"its shape {tensor.shape} and type {tensor.dtype} need {expected}")
        return np.frombuffer(raw, dtype=dtype).reshape(tensor.shape).copy()

    def _operator(self, index: int, table: Table, tensor_count: int) -> Operator:
        opcode_index = table.scalar(fb.OPERATOR_OPCODE_INDEX, "I")
        if opcode_index >= len(self.opcodes):
            self.fail(f"operator {index} uses opcode {opcode_index} of {len(self.opcodes)}")
        op_type = self.opcodes[opcode_index]
        inputs = table.scalar_vector(fb.OPERATOR_INPUTS, "i")
        outputs = table.scalar_vector(fb.OPERATOR_OUTPUTS, "i")
        for tensor_index in inputs + outputs:
            if not -1 <= tensor_index < tensor_count:
                self.fail(f"operator {index} ({op_type}) refers to tensor {tensor_index}, which does not exist")
        return Operator(index, op_type, inputs, outputs, self._options(op_type, table))

    def _options(self, op_type: str, table: Table) -> dict:
        table_type, fields = fb.OPTION_FIELDS.get(op_type, (None, []))
        options_table = table.table(fb.OPERATOR_BUILTIN_OPTIONS)
        if table.scalar(fb.OPERATOR_BUILTIN_OPTIONS_TYPE, "B") != (table_type and fb.options_type_code(table_type)):
            options_table = None      # TFLM ignores a table of another type, as if it were missing
        # Without its table TFLM leaves every parameter at 0 (not at the schema's defaults).
        options = {name: type(default)(0) if options_table is None else options_table.scalar(index, fmt, default)
                   for name, index, fmt, default in fields}
        if "padding" in options:
            options["padding"] = fb.PADDING.get(options["padding"], f"padding_{options['padding']}")
        if "activation" in options:
            options["activation"] = fb.ACTIVATION.get(options["activation"], f"activation_{options['activation']}")
        return options
