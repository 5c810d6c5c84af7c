"""`tinygen validate --board`: the firmware runs in QEMU or on a device, samples stream over the
serial protocol, and every output is compared with the TFLM runtime, with latency per layer,
memory, stack, energy and, where labels exist, accuracy."""

import contextlib
import statistics
import tempfile
from pathlib import Path

import numpy as np
import serial

from . import metrics, plots
from .boards import Board, get_board
from .compiler import compile_model
from .compiler.variants import board_target
from .compiler.compile import CompiledModel
from .device_client import DeviceClient
from .errors import TinygenError
from .firmware.build import build
from .power import energy_estimate
from .progress import track
from .protocol import INFER_TAIL, INPUT_CRC, MAX_PAYLOAD, DeviceInfo, tensor_info
from .reference import TflmReference
from .samples import load_labels, validation_samples
from .targets.qemu import QemuSerialSession
from .targets.renode import RenodeSerialSession, renode_script, require_renode
from .validate import compare

READY_TIMEOUT = 20.0


def check_device_model(info: DeviceInfo, model: CompiledModel) -> None:
    if info.model_hash != model.model_hash:
        raise TinygenError(f"the device runs another model (sha256 {info.model_hash[:16]}), not "
                           f"{model.name} ({model.model_hash[:16]}): build and flash this model first")
    for kind, device, ours in (("input", info.inputs, model.inputs), ("output", info.outputs, model.outputs)):
        expected = [tensor_info(io) for io in ours]
        if len(device) != len(expected):
            raise TinygenError(f"the device's model has {len(device)} {kind}s, {model.name} has {len(expected)}: "
                               "build and flash this model first")
        for position, (got, want) in enumerate(zip(device, expected)):
            if got != want:
                raise TinygenError(f"the device's {kind} {position} is {got}, {model.name}'s is {want}: "
                                   "build and flash this model first")


def check_frames_fit(model: CompiledModel) -> None:
    """Refuses, before anything is built, a model whose inputs or answers cannot travel in one frame."""
    messages = {"inputs": sum(io.bytes for io in model.inputs),
                "outputs": INPUT_CRC.size + sum(io.bytes for io in model.outputs) + INFER_TAIL.size,
                "per-layer profile": INPUT_CRC.size + 8 * len(model.layers)}
    for what, size in messages.items():
        if size > MAX_PAYLOAD:
            raise TinygenError(f"{model.name}: the {what} take {size:,} bytes, more than one serial frame holds "
                               f"({MAX_PAYLOAD:,}): validate this model with --target host")


def input_bytes(model: CompiledModel, sample: list[np.ndarray]) -> bytes:
    return b"".join(np.ascontiguousarray(value, dtype=io.tensor.dtype).tobytes()
                    for io, value in zip(model.inputs, sample))


def stream_samples(client: DeviceClient, model: CompiledModel, samples: list[list[np.ndarray]]):
    """Runs every sample on the device: (outputs per sample, counter values, stack high-water)."""
    output_bytes = sum(io.bytes for io in model.outputs)
    outputs, counts, stack = [], [], 0
    for sample in track(samples, "inferences on the device"):
        result = client.infer(input_bytes(model, sample), output_bytes)
        position, sample_outputs = 0, []
        for io in model.outputs:
            chunk = result.outputs[position:position + io.bytes]
            sample_outputs.append(np.frombuffer(chunk, dtype=io.tensor.dtype).reshape(io.tensor.shape))
            position += io.bytes
        outputs.append(sample_outputs)
        counts.append(result.count)
        stack = max(stack, result.stack_bytes)
    return outputs, counts, stack


def first_diverging_layer(client: DeviceClient, model: CompiledModel, reference: TflmReference,
                          sample: list[np.ndarray]) -> dict | None:
    """Compares each layer's output on the device with the reference's, in execution order."""
    reference.run(sample)
    payload = input_bytes(model, sample)
    for position, layer in enumerate(model.layers):
        tensor = model.graph.tensors[layer.op.outputs[0]]
        want = np.ascontiguousarray(reference.tensor(tensor.index)).tobytes()
        if layer.kernel is None or INPUT_CRC.size + len(want) > MAX_PAYLOAD:
            continue    # aliases compute nothing; an output too large for one frame cannot be compared
        got = client.dump(position, payload, len(want))
        if got != want:
            differing = sum(a != b for a, b in zip(got, want))
            return {"position": position, "op_index": layer.op.index, "op": layer.op.op_type,
                    "layer": layer.name, "tensor": tensor.name, "differing_bytes": differing}
    return None


@contextlib.contextmanager
def device_session(board: Board, model_path: Path, target: str, port: str | None, client_factory, report: dict):
    """Yields (client, board that runs, build result or None), and ends the session cleanly."""
    if target == "qemu":
        run_board = board if board.emulated else get_board(board.data["emulation"]["nearest"])
        if run_board is not board:
            report["emulated_core"] = run_board.id
            report["note"] = (f"{board.id} has no QEMU model: the same generated model ran on {run_board.id} "
                              f"({run_board.core}), the nearest emulated core")
        with tempfile.TemporaryDirectory(prefix="tinygen-fw-") as work:
            built = build(run_board, model_path, Path(work) / run_board.id, app="serial")
            with QemuSerialSession(run_board, built.elf) as session:
                client = client_factory(session.port)
                client.wait_ready(READY_TIMEOUT)
                yield client, run_board, built
                client.exit()
                exit_code = session.close()
            if exit_code != 0:
                raise TinygenError(f"QEMU ended with status {exit_code} after the run: {session.qemu_log()}")
    elif target == "renode":
        require_renode()
        renode_script(board, Path("firmware.elf"), 0)          # the board must have a Renode platform
        with tempfile.TemporaryDirectory(prefix="tinygen-fw-") as work:
            built = build(board, model_path, Path(work) / board.id, app="serial")
            with RenodeSerialSession(board, built.elf, Path(work)) as session:
                client = client_factory(session.port)
                client.wait_ready(READY_TIMEOUT)
                yield client, board, built
    elif target == "device":
        if not port:
            raise TinygenError("--target device needs --port (e.g. /dev/ttyACM0 or COM3)")
        try:
            link = serial.serial_for_url(port, baudrate=board.data["uart"]["baud"], timeout=0.2)
        except serial.SerialException as exc:
            raise TinygenError(f"cannot open {port}: {exc}") from None
        with link:
            link.reset_input_buffer()   # bytes from before this session
            client = client_factory(link)
            client.ping()   # a flashed device is running; one that restarts as the port opens sends READY first
            yield client, board, None
    else:
        raise TinygenError(f"target '{target}' is not available for firmware validation")


def _work(counts: list[int], run_board: Board, target: str) -> tuple[str, list[float]]:
    if target == "qemu":
        return "instructions", [run_board.instructions_from_ticks(c) for c in counts]
    return run_board.data["counter"]["unit"], list(counts)


def _accuracy(model, labels, data, expected, actual, float_model: Path | None) -> dict:
    first = model.outputs[0].tensor
    quant = first.quant
    int8_ref = [sample[0] for sample in expected]
    device = [sample[0] for sample in actual]
    floats = None
    if float_model is not None:
        from .float_reference import FloatReference

        reference = FloatReference(float_model)
        floats = [reference.run([metrics.dequantize(np.asarray(v), io.tensor.quant).astype(np.float32)
                                 for io, v in zip(model.inputs, sample)]) for sample in data]
    if metrics.is_classification(labels, first.shape):
        result = {"kind": "classification", "labels": len(labels)}
        for name, outputs in (("float", floats), ("int8_reference", int8_ref), ("device", device)):
            if outputs is not None:
                result[name] = float(np.mean(metrics.predicted_classes(outputs) == labels))
        result["confusion_matrix"] = metrics.confusion_matrix(labels, metrics.predicted_classes(device), first.shape[-1])
        return result
    result = {"kind": "regression", "labels": len(labels)}
    for name, outputs in (("float", floats), ("int8_reference", int8_ref), ("device", device)):
        if outputs is not None:
            values = np.stack([np.asarray(o, dtype=np.float64) if name == "float" else metrics.dequantize(o, quant)
                               for o in outputs])
            result[name] = metrics.regression_metrics(labels.astype(np.float64), values)
    return result


def validate_firmware(board_id: str, model_path: Path, target: str = "qemu", port: str | None = None,
                      inputs: Path | None = None, samples: int | None = None, seed: int = 0,
                      float_model: Path | None = None, plots_dir: Path | None = None,
                      client_factory=DeviceClient) -> dict:
    board = get_board(board_id)
    model = compile_model(model_path, target=board_target(board))
    check_frames_fit(model)
    data, source = validation_samples(model, inputs, samples, seed)
    labels = load_labels(inputs, len(data)) if inputs is not None else None
    reference = TflmReference(model_path, len(model.outputs), keep_intermediates=True)
    expected = [reference.run(sample) for sample in track(data, "TFLM reference")]
    report = {"board": board.id, "target": target, "model": str(model_path), "samples": len(data), "inputs": source}
    with device_session(board, model_path, target, port, client_factory, report) as (client, run_board, built):
        check_device_model(client.info(), model)
        actual, counts, stack = stream_samples(client, model, data)
        layer_counts = client.profile(input_bytes(model, data[0]), len(model.layers))
        mismatched_outputs, mismatched_samples, max_diff = compare(expected, actual)
        diverging = None
        if mismatched_samples:
            first_bad = next(i for i, (want, got) in enumerate(zip(expected, actual)) if compare([want], [got])[1])
            diverging = first_diverging_layer(client, model, reference, data[first_bad])
    unit, work = _work(counts, run_board, target)
    _, per_layer_work = _work(layer_counts, run_board, target)
    report.update(
        bit_exact=mismatched_samples == 0, mismatched_outputs=mismatched_outputs, mismatched_samples=mismatched_samples,
        max_abs_diff=max_diff, first_diverging_layer=diverging,
        **{f"{unit}_per_inference": {"min": min(work), "median": statistics.median(work), "max": max(work),
                                     "unit": unit + (" (exact, QEMU -icount)" if target == "qemu" else "")}},
        per_layer=[{"position": p, "op_index": layer.op.index, "op": layer.op.op_type, "layer": layer.name,
                    "kernel": layer.kernel, "count": per_layer_work[p]} for p, layer in enumerate(model.layers)],
        stack_bytes=stack, arena_bytes=model.arena_bytes, weights_bytes=model.weights_bytes, macs=model.total_macs)
    if built is not None:
        report["flash_bytes"] = {"used": built.report["flash"]["used"], **built.report["flash"]["parts"]}
        report["ram_bytes"] = {"used": built.report["ram"]["used"], **built.report["ram"]["parts"]}
    report.update(energy_estimate(board, statistics.median(work)))
    if labels is not None:
        report["accuracy"] = _accuracy(model, labels, data, expected, actual, float_model)
    if plots_dir is not None:
        try:
            report["plots"] = _plots(report, unit, f"{model.name} on {run_board.id}", plots_dir)
        except OSError as exc:      # the run's results matter more than its pictures
            report["plots_error"] = f"plots not written to {plots_dir}: {exc.strerror or exc}"
    return report


def _plots(report: dict, unit: str, title: str, plots_dir: Path) -> list[str]:
    plots_dir.mkdir(parents=True, exist_ok=True)
    written = [plots.per_layer_bars(report["per_layer"], unit, f"{title}: {unit} per layer", plots_dir / "per_layer.png")]
    if report.get("accuracy", {}).get("kind") == "classification":
        written.append(plots.confusion_matrix_image(report["accuracy"]["confusion_matrix"], title,
                                                    plots_dir / "confusion.png"))
    return [str(path) for path in written]


def _memory_line(name: str, memory: dict) -> str:
    parts = ", ".join(f"{part} {size:,}" for part, size in memory.items() if part != "used")
    return f"{name} {memory['used']:,} bytes ({parts})"


def summary(report: dict) -> str:
    verdict = "BIT-EXACT" if report["bit_exact"] else "MISMATCH"
    lines = [f"{verdict}: {report['samples']} samples ({report['inputs']}) on {report['board']} via {report['target']}, "
             f"{report['mismatched_outputs']} output values differ from TFLM"]
    if "note" in report:
        lines.append(report["note"])
    if report["first_diverging_layer"]:
        layer = report["first_diverging_layer"]
        lines.append(f"first diverging layer: {layer['position']} {layer['op']} '{layer['tensor']}' "
                     f"({layer['differing_bytes']} bytes differ)")
    work = next(value for key, value in report.items() if key.endswith("_per_inference"))
    lines.append(f"per inference: min {work['min']:,} / median {work['median']:,} / max {work['max']:,} {work['unit']}")
    slowest = sorted(report["per_layer"], key=lambda row: -row["count"])[:3]
    lines.append("slowest layers: " + ", ".join(f"{row['position']} {row['op']} {row['count']:,}" for row in slowest))
    if "flash_bytes" in report:
        lines.append(f"{_memory_line('flash', report['flash_bytes'])}; {_memory_line('RAM', report['ram_bytes'])}")
    lines.append(f"stack high-water {report['stack_bytes']:,} bytes; arena {report['arena_bytes']:,} bytes")
    energy = report["energy_uj_estimate"]
    lines.append(f"energy per inference ~{energy:.2f} uJ ({report['assumptions']})" if energy is not None
                 else f"energy: {report['assumptions']}")
    if "accuracy" in report:
        accuracy = report["accuracy"]
        lines.append("accuracy: " + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                                                for k, v in accuracy.items() if k not in ("confusion_matrix", "kind")))
    for path in report.get("plots", []):
        lines.append(f"plot: {path}")
    if "plots_error" in report:
        lines.append(report["plots_error"])
    return "\n".join(lines)
