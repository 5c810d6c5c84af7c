"""The graph IR: what the compiler knows about a model, independent of the file format."""

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Quantization:
    scale: tuple[float, ...]          # float32 values, as stored in the model
    zero_point: tuple[int, ...]
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str                        # lower-case TFLite type name: "int8", "float32", ...
    quant: Quantization | None = None
    data: np.ndarray | None = None    # constant contents, shaped; None for activations

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return math.prod(self.shape)     # exact for any dimensions (numpy's int64 product can wrap)


@dataclass
class Operator:
    index: int
    op_type: str                      # TFLite builtin name, e.g. "CONV_2D"
    inputs: list[int]                 # tensor indices; -1 marks an omitted optional input
    outputs: list[int]
    options: dict = field(default_factory=dict)


@dataclass
class Graph:
    tensors: list[Tensor]
    operators: list[Operator]         # in execution order
    inputs: list[int]
    outputs: list[int]
    description: str = ""

    def tensor(self, index: int) -> Tensor | None:
        return None if index < 0 else self.tensors[index]
