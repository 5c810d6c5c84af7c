"""Outputs against the reference's, byte for byte, and the first layer where a device departs from it."""

from dataclasses import dataclass

import numpy as np

from ..compiler.compile import CompiledModel
from ..targets.protocol import INPUT_CRC, MAX_PAYLOAD
from .reference import TflmReference
from .report import Divergence


@dataclass
class Comparison:
    mismatched_outputs: int         # output values that differ, over all samples
    mismatched_samples: int
    max_abs_diff: float
    first_mismatched_sample: int | None

    @property
    def bit_exact(self) -> bool:
        return self.mismatched_samples == 0


def compare(expected: list[list[np.ndarray]], actual: list[list[np.ndarray]]) -> Comparison:
    mismatched_outputs, mismatched_samples, max_diff, first = 0, 0, 0.0, None
    for index, (want_sample, got_sample) in enumerate(zip(expected, actual)):
        differs = False
        for want, got in zip(want_sample, got_sample):
            want = np.asarray(want).reshape(got.shape)
            if want.tobytes() != got.tobytes():
                diff = np.abs(want.astype(np.float64) - got.astype(np.float64))
                mismatched_outputs += max(int(np.count_nonzero(diff)), 1)
                max_diff = max(max_diff, float(np.nanmax(diff)) if diff.size else 0.0)
                differs = True
        mismatched_samples += differs
        if differs and first is None:
            first = index
    return Comparison(mismatched_outputs, mismatched_samples, max_diff, first)


def first_diverging_layer(client, model: CompiledModel, reference: TflmReference,
                          sample: list[np.ndarray]) -> Divergence | None:
    """Compares each layer's output on the device (client: a DeviceClient) with the reference's
    intermediate tensor, in execution order."""
    reference.run(sample)
    payload = model.pack_inputs(sample)
    for position, layer in enumerate(model.layers):
        tensor = model.graph.tensors[layer.op.outputs[0]]
        want = np.ascontiguousarray(reference.tensor(tensor.index)).tobytes()
        if layer.kernel is None or INPUT_CRC.size + len(want) > MAX_PAYLOAD:
            continue    # aliases compute nothing; an output too large for one frame cannot be compared
        got = client.dump(position, payload, len(want))
        if got != want:
            return Divergence(position, layer.op.index, layer.op.op_type, layer.name, tensor.name,
                              sum(a != b for a, b in zip(got, want)))
    return None
