"""The sized stack: a bound from gcc's call graph (frames summed down the deepest chain, the deepest
handler on top), what cannot be bounded falling back to the board's fixed stack, and on real firmware in
QEMU the painted-stack high-water staying under the bound."""

from pathlib import Path

import pytest

from tinygen.boards import get_board
from tinygen.default_model import DEFAULT_MODEL_PATH
from tinygen.firmware.stack_bound import (EXCEPTION_FRAME_BYTES, LIBRARY_FRAME_BYTES, MARGIN_BYTES, Unbounded,
                                          stack_bound)
from tinygen.validation.firmware import validate_firmware

from conftest import needs_shared_models, shared_model


def node(title: str, frame: int | None = None, kind: str = "static") -> str:
    label = f"{title}\\\\nsrc/x.c:1:1" + (f"\\\\n{frame} bytes ({kind})" if frame is not None else "")
    return f'node: {{ title: "{title}" label: "{label}" }}\n'


def edge(source: str, target: str) -> str:
    return f'edge: {{ sourcename: "{source}" targetname: "{target}" label: "src/x.c:2:2" }}\n'


def graph(folder: Path, text: str) -> Path:
    (folder / "x.ci").write_text('graph: { title: "src/x.c"\n' + text + "}\n")
    return folder


def test_the_bound_is_the_deepest_chain_with_the_deepest_handler_on_top(tmp_path):
    text = (node("Reset_Handler", 8) + node("main", 24) + node("src/x.c:shallow", 16) + node("deep", 200)
            + node("memcpy") + node("SysTick_Handler", 40) + node("tg_fault_report", 8)
            + edge("Reset_Handler", "main") + edge("main", "src/x.c:shallow") + edge("main", "deep")
            + edge("deep", "memcpy"))
    bound = stack_bound(graph(tmp_path, text))
    assert bound.bound == 8 + 24 + 200 + LIBRARY_FRAME_BYTES["memcpy"] + 40 + EXCEPTION_FRAME_BYTES
    assert bound.deepest == ["Reset_Handler", "main", "deep", "memcpy"]
    assert bound.reserved % 8 == 0 and bound.bound + MARGIN_BYTES <= bound.reserved < bound.bound + MARGIN_BYTES + 8


@pytest.mark.parametrize("text,why", [
    (node("Reset_Handler", 8) + node("f", 16) + edge("Reset_Handler", "f") + edge("f", "f"), "recursion"),
    (node("Reset_Handler", 8) + node("f", 16, "dynamic") + edge("Reset_Handler", "f"), "dynamic size"),
    (node("Reset_Handler", 8) + edge("Reset_Handler", "printf"), "printf, whose frame is unknown"),
    (node("Reset_Handler", 8) + edge("Reset_Handler", "__indirect_call"), "indirect call"),
    (node("main", 8), "no call graph"),
])
def test_what_a_static_bound_cannot_follow_is_refused(tmp_path, text, why):
    with pytest.raises(Unbounded, match=why):
        stack_bound(graph(tmp_path, text))


@pytest.mark.parametrize("board", ["mps2-an386", "lm3s6965evb", "microbit"])
def test_the_measured_stack_stays_under_the_sized_one(board):
    report = validate_firmware(board, DEFAULT_MODEL_PATH, samples=3)
    reserved = report.memory.ram_bytes["stack"]
    assert report.bit_exact and reserved < get_board(board).stack_bytes
    assert 0 < report.memory.stack_bytes <= reserved - MARGIN_BYTES, (report.memory.stack_bytes, reserved)


@needs_shared_models
def test_kws_measured_stack_stays_under_the_sized_one():
    report = validate_firmware("netduinoplus2", shared_model("mlperf_tiny/kws_ref_model.tflite"), samples=2)
    reserved = report.memory.ram_bytes["stack"]
    assert report.bit_exact and 0 < report.memory.stack_bytes <= reserved - MARGIN_BYTES < 4096
