"""Input samples for validation: loaded from .npy/.npz files, or seeded random ones."""

from pathlib import Path

import numpy as np

from .compiler.compile import CompiledModel, ModelIO
from .errors import TinygenError


DEFAULT_SAMPLES = 10


def validation_samples(model: CompiledModel, inputs: Path | None, count: int | None,
                       seed: int) -> tuple[list[list[np.ndarray]], str]:
    """The samples to validate on, and where they came from: a data file, or seeded random inputs."""
    if inputs is not None:
        return load_samples(inputs, model, limit=count), Path(inputs).name
    return random_samples(model, count if count is not None else DEFAULT_SAMPLES, seed), f"random, seed {seed}"


def random_samples(model: CompiledModel, count: int, seed: int = 0) -> list[list[np.ndarray]]:
    """Seeded random inputs that cover each input's representable range."""
    rng = np.random.default_rng(seed)
    return [[_random_input(model, io, rng) for io in model.inputs] for _ in range(count)]


def _random_input(model: CompiledModel, io: ModelIO, rng: np.random.Generator) -> np.ndarray:
    shape = io.tensor.shape
    if io.tensor.dtype == "int8":
        return rng.integers(-128, 128, size=shape, dtype=np.int8)
    low, high = _float_range(model, io)
    return rng.uniform(low, high, size=shape).astype(np.float32)


def _float_range(model: CompiledModel, io: ModelIO) -> tuple[float, float]:
    # A float input is quantized by the model's first QUANTIZE op: cover that op's int8 range.
    for layer in model.layers:
        if layer.op.op_type == "QUANTIZE" and layer.op.inputs[0] == io.tensor.index:
            quant = model.graph.tensors[layer.op.outputs[0]].quant
            scale, zp = float(quant.scale[0]), int(quant.zero_point[0])
            return (-128 - zp) * scale, (127 - zp) * scale
    return -1.0, 1.0


def load_samples(path: str | Path, model: CompiledModel, limit: int | None = None) -> list[list[np.ndarray]]:
    """Samples from a .npy (single-input models) or .npz (arrays named x, x0/x1.., or by input name)."""
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise TinygenError(f"cannot read inputs from {path}: {exc}") from None
    if isinstance(data, np.ndarray):
        if len(model.inputs) != 1:
            raise TinygenError(f"{path} holds one array but the model has {len(model.inputs)} inputs: use a .npz")
        arrays = [data]
    else:
        arrays = [_pick_array(data, io, len(model.inputs), path) for io in model.inputs]
    per_input = [_as_batch(array, io, path) for array, io in zip(arrays, model.inputs)]
    counts = {len(batch) for batch in per_input}
    if len(counts) != 1:
        raise TinygenError(f"{path}: the inputs hold different numbers of samples {sorted(counts)}")
    count = counts.pop()
    if count == 0:
        raise TinygenError(f"{path} holds no samples: nothing to validate")
    if limit is not None:
        count = min(count, limit)
    return [[batch[i] for batch in per_input] for i in range(count)]


def _pick_array(data, io: ModelIO, input_count: int, path: Path) -> np.ndarray:
    names = [f"x{io.position}", io.tensor.name] + (["x"] if input_count == 1 else [])
    for name in names:
        if name in data.files:
            return data[name]
    if input_count == 1 and len(data.files) == 1:
        return data[data.files[0]]
    raise TinygenError(f"{path} has arrays {data.files}; name input {io.position} "
                       f"'x' (single input), 'x{io.position}' or '{io.tensor.name}'")


def _as_batch(array: np.ndarray, io: ModelIO, path: Path) -> np.ndarray:
    """One sample (the input's shape, or just its element count) or a batch of samples on axis 0."""
    shape, size = io.tensor.shape, io.tensor.size
    if array.shape == shape or array.size == size:
        batch = array.reshape((1,) + shape)
    elif array.ndim >= 2 and int(np.prod(array.shape[1:])) == size:
        batch = array.reshape((array.shape[0],) + shape)
    else:
        raise TinygenError(f"{path}: array of shape {array.shape} does not fit input {io.position} "
                           f"'{io.tensor.name}' of shape {shape} (one sample, or samples along axis 0)")
    return _as_dtype(batch, io, path)


def _as_dtype(batch: np.ndarray, io: ModelIO, path: Path) -> np.ndarray:
    want = np.dtype(io.tensor.dtype)
    if batch.dtype == want:
        return batch
    if want.kind == "f" and batch.dtype.kind in "fiu":
        return batch.astype(want)
    if want.kind == "i" and batch.dtype.kind in "iu":
        info = np.iinfo(want)
        if batch.size and (batch.min() < info.min or batch.max() > info.max):
            raise TinygenError(f"{path}: input {io.position} holds {batch.dtype} values outside the "
                               f"{want} range of the model input (uint8 images need pixel - 128)")
        return batch.astype(want)
    raise TinygenError(f"{path}: input {io.position} is {batch.dtype}, the model expects {want}")


def load_labels(path: str | Path, count: int) -> np.ndarray | None:
    """The labels `y` of an .npz data set (first `count`), or None when it has none."""
    path = Path(path)
    if path.suffix != ".npz":
        return None
    with np.load(path, allow_pickle=False) as data:
        if "y" not in data.files:
            return None
        labels = np.asarray(data["y"])
    if len(labels) < count:
        raise TinygenError(f"{path}: {len(labels)} labels for {count} samples")
    return labels[:count]
