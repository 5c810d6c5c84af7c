"""`tinygen validate --board`: the firmware runs in QEMU, Renode or on a device (targets/session.py),
samples stream over the serial protocol, and every output is compared with the TFLM runtime, with
work per inference and per layer, memory, stack, energy and, where labels exist, accuracy."""

import json
import statistics
from pathlib import Path

import numpy as np

from ..boards import Board, get_board
from ..compiler.compile import CompiledModel
from ..errors import TinygenError
from ..firmware.build import BuildResult, compile_for
from ..power.measurement import TraceOptions, compare_with_estimate, measure_trace
from ..progress import track
from ..samples import load_labels, validation_samples
from ..targets.device_client import DeviceClient
from ..targets.protocol import INFER_TAIL, INPUT_CRC, MAX_PAYLOAD, DeviceInfo, tensor_info
from ..targets.session import open_session, running_board
from . import plots
from .accuracy import accuracy
from .comparison import compare, first_diverging_layer
from .energy import energy_estimate
from .reference import TflmReference
from .report import LayerTiming, Memory, Timing, ValidationReport


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
    messages = {"inputs": model.input_bytes,
                "outputs": INPUT_CRC.size + model.output_bytes + INFER_TAIL.size,
                "per-layer profile": INPUT_CRC.size + 8 * len(model.layers)}
    for what, size in messages.items():
        if size > MAX_PAYLOAD:
            raise TinygenError(f"{model.name}: the {what} take {size:,} bytes, more than one serial frame holds "
                               f"({MAX_PAYLOAD:,}): validate this model with --target host")


def stream_samples(client: DeviceClient, model: CompiledModel, samples: list[list[np.ndarray]]):
    """Runs every sample on the device: (outputs per sample, counter values, stack high-water)."""
    outputs, counts, stack = [], [], 0
    for sample in track(samples, "inferences on the device"):
        result = client.infer(model.pack_inputs(sample), model.output_bytes)
        outputs.append(model.unpack_outputs(result.outputs))
        counts.append(result.count)
        stack = max(stack, result.stack_bytes)
    return outputs, counts, stack


def _built_firmware(folder: Path, model: CompiledModel) -> BuildResult:
    """The firmware a device was flashed with, known by its size report, which must be this model's."""
    try:
        report = json.loads((Path(folder) / "size_report.json").read_text())
    except (OSError, ValueError) as exc:
        raise TinygenError(f"--firmware {folder}: no readable size_report.json ({exc}); give the folder "
                           "`tinygen build --app serial` wrote") from None
    if report.get("model_hash") != model.model_hash:
        raise TinygenError(f"--firmware {folder} was built for another model ({report.get('model')}), not {model.name}")
    return BuildResult(Path(folder), report, 0.0)


def _timing(model: CompiledModel, board: Board, target: str, counts: list[int], layer_counts: list[int]) -> Timing:
    """QEMU's counter ticks become exact instructions; a device's counter is in its own unit (cycles)."""
    if target == "qemu":
        unit, convert = "instructions", board.instructions_from_ticks
    else:
        unit, convert = board.data["counter"]["unit"], lambda count: count
    work = [convert(count) for count in counts]
    per_layer = [LayerTiming(p, layer.op.index, layer.op.op_type, layer.name, layer.kernel, convert(layer_counts[p]))
                 for p, layer in enumerate(model.layers)]
    return Timing(unit, target == "qemu", min(work), statistics.median(work), max(work), per_layer)


def validate_firmware(board_id: str, model_path: Path, target: str = "qemu", port: str | None = None,
                      inputs: Path | None = None, samples: int | None = None, seed: int = 0,
                      float_model: Path | None = None, plots_dir: Path | None = None,
                      client_factory=DeviceClient, power_trace: Path | None = None,
                      trace_options: TraceOptions = TraceOptions(), firmware: Path | None = None) -> ValidationReport:
    """power_trace: a current trace recorded while this firmware ran (on a device, with its marker
    pin wired to the profiler), measured and compared with the energy estimate. firmware: the built
    project a device runs (`tinygen build --app serial`), whose size report gives the flash and RAM."""
    board = get_board(board_id)
    run_board, note = running_board(board, target)
    model = compile_for(run_board, model_path)
    check_frames_fit(model)
    power = measure_trace(power_trace, trace_options, board) if power_trace is not None else None
    data, source = validation_samples(model, inputs, samples, seed)
    labels = load_labels(inputs, len(data)) if inputs is not None else None
    reference = TflmReference(model_path, len(model.outputs), keep_intermediates=True)
    expected = [reference.run(sample) for sample in track(data, "TFLM reference")]
    with open_session(run_board, model, target, port, client_factory) as session:
        check_device_model(session.client.info(), model)
        actual, counts, stack = stream_samples(session.client, model, data)
        layer_counts = session.client.profile(model.pack_inputs(data[0]), len(model.layers))
        comparison = compare(expected, actual)
        diverging = None
        if not comparison.bit_exact:
            diverging = first_diverging_layer(session.client, model, reference,
                                              data[comparison.first_mismatched_sample])
        built = session.built or (_built_firmware(firmware, model) if firmware is not None else None)
    timing = _timing(model, run_board, target, counts, layer_counts)
    memory = Memory(model.arena_bytes, model.weights_bytes, stack_bytes=stack)
    if built is not None:
        memory.flash_bytes = {"used": built.report["flash"]["used"], **built.report["flash"]["parts"]}
        memory.ram_bytes = {"used": built.report["ram"]["used"], **built.report["ram"]["parts"]}
        memory.flash_capacity_bytes, memory.ram_capacity_bytes = board.flash_size, board.ram_size
    report = ValidationReport(
        model=str(model_path), target=target, samples=len(data), inputs=source, bit_exact=comparison.bit_exact,
        mismatched_outputs=comparison.mismatched_outputs, mismatched_samples=comparison.mismatched_samples,
        max_abs_diff=comparison.max_abs_diff, macs=model.total_macs, layers=len(model.layers), memory=memory,
        board=board.id, emulated_core=run_board.id if run_board is not board else None, note=note,
        first_diverging_layer=diverging, timing=timing, energy=energy_estimate(board, timing.median))
    if power is not None:
        compare_with_estimate(power, report.energy.uj_estimate)
        report.power = power
    if labels is not None:
        report.accuracy = accuracy(model, labels, data, expected, actual, float_model)
    if plots_dir is not None:
        try:
            report.plots = plots.write_plots(report.to_json(), f"{model.name} on {run_board.id}", plots_dir)
        except OSError as exc:      # the run's results matter more than its pictures
            report.plots_error = f"plots not written to {plots_dir}: {exc.strerror or exc}"
    return report
