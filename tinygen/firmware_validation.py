"""`tinygen validate --board`: the firmware runs in QEMU or on a device, samples stream over the
serial protocol, and every output is compared with the TFLM runtime, with latency, memory and energy."""

import json
import statistics
import tempfile
from pathlib import Path

import numpy as np
import serial

from .boards import get_board
from .compiler import compile_model
from .compiler.compile import CompiledModel
from .errors import TinygenError
from .firmware.build import build
from .power import energy_estimate
from .protocol import DeviceClient, DeviceInfo
from .reference import TflmReference
from .samples import load_samples, random_samples
from .targets.qemu import QemuSerialSession
from .validate import compare

READY_TIMEOUT = 20.0


def check_device_model(info: DeviceInfo, model: CompiledModel) -> None:
    if info.model_hash != model.model_hash:
        raise TinygenError(f"the device runs another model (sha256 {info.model_hash[:16]}), not "
                           f"{model.name} ({model.model_hash[:16]}): build and flash this model first")
    for kind, device, ours in (("input", info.inputs, model.inputs), ("output", info.outputs, model.outputs)):
        if [(t.dtype, t.bytes) for t in device] != [(io.tensor.dtype, io.bytes) for io in ours]:
            raise TinygenError(f"the device's {kind}s {device} do not match the model's")


def stream_samples(client: DeviceClient, model: CompiledModel, samples: list[list[np.ndarray]]):
    """Runs every sample on the device: (outputs per sample, counter values, stack high-water)."""
    output_bytes = sum(io.bytes for io in model.outputs)
    outputs, counts, stack = [], [], 0
    for sample in samples:
        payload = b"".join(np.ascontiguousarray(value, dtype=io.tensor.dtype).tobytes()
                           for io, value in zip(model.inputs, sample))
        result = client.infer(payload, output_bytes)
        position, sample_outputs = 0, []
        for io in model.outputs:
            chunk = result.outputs[position:position + io.bytes]
            sample_outputs.append(np.frombuffer(chunk, dtype=io.tensor.dtype).reshape(io.tensor.shape))
            position += io.bytes
        outputs.append(sample_outputs)
        counts.append(result.count)
        stack = max(stack, result.stack_bytes)
    return outputs, counts, stack


def _samples(model: CompiledModel, inputs: Path | None, count: int | None, seed: int):
    if inputs is not None:
        return load_samples(inputs, model, limit=count), Path(inputs).name
    return random_samples(model, count if count is not None else 10, seed), f"random, seed {seed}"


def validate_firmware(board_id: str, model_path: Path, target: str = "qemu", port: str | None = None,
                      inputs: Path | None = None, samples: int | None = None, seed: int = 0,
                      client_factory=DeviceClient) -> dict:
    board = get_board(board_id)
    model = compile_model(model_path)
    data, source = _samples(model, inputs, samples, seed)
    reference = TflmReference(model_path, len(model.outputs))
    expected = [reference.run(sample) for sample in data]
    report = {"board": board.id, "target": target, "model": str(model_path), "samples": len(data), "inputs": source}
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
                actual, counts, stack = _run(client, model, data)
                client.exit()
                exit_code = session.close()
            if exit_code != 0:
                raise TinygenError(f"QEMU ended with status {exit_code} after the run: {session.qemu_log()}")
        sizes = built.report
        instructions = [run_board.instructions_from_ticks(c) for c in counts]
        report["instructions_per_inference"] = {"min": min(instructions), "median": statistics.median(instructions),
                                                "max": max(instructions), "unit": "instructions (exact, QEMU -icount)"}
        work_count = statistics.median(instructions)
    elif target == "device":
        if not port:
            raise TinygenError("--target device needs --port (e.g. /dev/ttyACM0 or COM3)")
        try:
            link = serial.serial_for_url(port, baudrate=board.data["uart"]["baud"], timeout=0.2)
        except serial.SerialException as exc:
            raise TinygenError(f"cannot open {port}: {exc}") from None
        with link:
            client = client_factory(link)
            client.request(0x04)   # PING: the device is already running
            actual, counts, stack = _run(client, model, data)
        sizes = None
        unit = board.data["counter"]["unit"]
        report["cycles_per_inference"] = {"min": min(counts), "median": statistics.median(counts), "max": max(counts),
                                          "unit": unit}
        work_count = statistics.median(counts)
    else:
        raise TinygenError(f"target '{target}' is not available for firmware validation")
    mismatched_outputs, mismatched_samples, max_diff = compare(expected, actual)
    report.update(bit_exact=mismatched_samples == 0, mismatched_outputs=mismatched_outputs,
                  mismatched_samples=mismatched_samples, max_abs_diff=max_diff, stack_bytes=stack,
                  arena_bytes=model.arena_bytes, weights_bytes=model.weights_bytes)
    if sizes:
        report["flash_bytes"] = {"used": sizes["flash"]["used"], **sizes["flash"]["parts"]}
        report["ram_bytes"] = {"used": sizes["ram"]["used"], **sizes["ram"]["parts"]}
    report.update(energy_estimate(board, work_count))
    return report


def _run(client: DeviceClient, model: CompiledModel, data):
    check_device_model(client.info(), model)
    return stream_samples(client, model, data)


def summary(report: dict) -> str:
    verdict = "BIT-EXACT" if report["bit_exact"] else "MISMATCH"
    lines = [f"{verdict}: {report['samples']} samples ({report['inputs']}) on {report['board']} via {report['target']}, "
             f"{report['mismatched_outputs']} output values differ from TFLM"]
    if "note" in report:
        lines.append(report["note"])
    work = report.get("instructions_per_inference") or report.get("cycles_per_inference")
    lines.append(f"per inference: min {work['min']:,} / median {work['median']:,} / max {work['max']:,} {work['unit']}")
    if "flash_bytes" in report:
        lines.append(f"flash {json.dumps(report['flash_bytes'])}; RAM {json.dumps(report['ram_bytes'])}")
    lines.append(f"stack high-water {report['stack_bytes']:,} bytes; arena {report['arena_bytes']:,} bytes")
    energy = report["energy_uj_estimate"]
    lines.append((f"energy per inference ~{energy:.2f} uJ ({report['assumptions']})" if energy is not None
                  else f"energy: {report['assumptions']}"))
    return "\n".join(lines)
