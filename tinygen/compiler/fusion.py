"""PAD fused into the convolution that reads it: the convolution reads the unpadded input with the padding
added to its own, so the padded copy is neither made nor kept in the arena.

Bit-exact because a PAD of int8 values pads with the zero point, and a tap holding the zero point adds
weight * (zero point + input_offset) = 0, exactly what the convolution kernels add for a tap outside the
image (they skip it, or read the zero point there). Fused only where every window still holds a tap of
the image, as SAME and VALID padding make it (some kernels count on it), and without dilation.
"""

from ..model.graph import Graph
from .layer import Layer, TensorArg, windows_meet_the_image

CONVOLUTIONS = ("tg_convolve_s8", "tg_depthwise_conv_s8")


def fuse_pads(graph: Graph, layers: list[Layer]) -> list[Layer]:
    """The layers with each PAD that only a convolution reads folded into that convolution."""
    readers: dict[int, list[Layer]] = {}
    for layer in layers:
        aliased = [layer.args[-1].index] if layer.kernel is None else []     # an alias keeps its output's bytes
        for index in layer.read_tensors() + aliased:
            readers.setdefault(index, []).append(layer)
    fused = set()
    for layer in layers:
        padded = layer.args[-1].index if layer.kernel == "tg_pad_s8" else None
        reading = readers.get(padded, [])
        if len(reading) == 1 and padded not in graph.outputs and _fold(layer, reading[0]):
            fused.add(id(layer))
    return [layer for layer in layers if id(layer) not in fused]


def _fold(pad: Layer, conv: Layer) -> bool:
    """Moves the padding into the convolution (its input becomes the PAD's), if that keeps it exact."""
    p = conv.params
    before = pad.params["pad_before"][-4:]
    after = [o - i - b for o, i, b in zip(pad.params["output_shape"][-4:], pad.params["input_shape"][-4:], before)]
    if (conv.kernel not in CONVOLUTIONS or conv.args[0] != pad.args[-1] or before[0] or before[3] or after[0]
            or after[3] or (p["dilation_h"], p["dilation_w"]) != (1, 1) or pad.params["pad_value"] != -p["input_offset"]):
        return False
    input_h, input_w = pad.params["input_shape"][-3:-1]
    window = {**p["window"], "pad_h": p["window"]["pad_h"] + before[1], "pad_w": p["window"]["pad_w"] + before[2]}
    if not windows_meet_the_image(window, (input_h, input_w), (p["output_h"], p["output_w"])):
        return False
    conv.params = {**p, "input_h": input_h, "input_w": input_w, "window": window}
    conv.args = [TensorArg(pad.args[0].index), *conv.args[1:]]
    return True
