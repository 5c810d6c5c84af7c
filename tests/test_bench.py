"""`tinygen bench`: exact instruction counts on an emulated board, per layer with each layer's kernel,
and the TFLM + CMSIS-NN reference figure with the ratio when the model is a reference model."""

import json
import re
import shutil

import pytest

from tinygen.bench.benchmark import bench
from tinygen.bench.reference import reference_data, reference_for
from tinygen.cli import main
from tinygen.default_model import DEFAULT_MODEL_PATH

from conftest import needs_shared_models, shared_model


@pytest.fixture(scope="module", autouse=True)
def fresh_tinygen_home(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TINYGEN_HOME", str(tmp_path_factory.mktemp("tinygen-home")))
        yield


def test_bench_reports_exact_counts_per_layer_and_memory(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--board", "netduinoplus2", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"instructions per inference: min [\d,]+ / median [\d,]+ / max [\d,]+ \(exact", printed)
    (result,) = json.loads(out.read_text())["models"]
    counts = result["instructions"]
    assert result["bit_exact"] and result["samples"] == 3 and result["reference"] is None
    assert 0 < counts["min"] <= counts["median"] <= counts["max"]
    assert result["instructions_per_mac"] == pytest.approx(counts["median"] / result["macs"])
    layers = result["per_layer"]
    assert all(row["kernel"] is None or row["kernel"].startswith("tg_") for row in layers)
    assert counts["min"] * 0.9 < sum(row["instructions"] for row in layers) < counts["max"] * 1.1
    assert 0 < result["ram_bytes"] < 192 * 1024 and result["flash_bytes"] > result["arena_bytes"] > 0


def test_counts_repeat_exactly():
    first, second = (bench(DEFAULT_MODEL_PATH, "mps2-an386", samples=1) for _ in range(2))
    assert first.instructions == second.instructions


def test_reference_figures_are_complete_data():
    data = reference_data()
    assert data["board"] == "netduinoplus2" and "icount shift=0" in data["conditions"]
    for entry in data["models"]:
        assert re.fullmatch(r"[0-9a-f]{8}([0-9a-f]{24})?", entry["md5"]), entry
        assert entry["instructions"] > entry["macs"] > 0 and entry["flash_bytes"] > entry["arena_bytes"] > 0


@needs_shared_models
def test_a_reference_model_is_recognised_by_content(tmp_path):
    kws = shared_model("mlperf_tiny/kws_ref_model.tflite")
    assert reference_for(kws).instructions == 7_696_723
    renamed = tmp_path / "whatever.tflite"
    shutil.copy(kws, renamed)
    assert reference_for(renamed).macs == 2_656_768
    changed = bytearray(kws.read_bytes())
    changed[-1] ^= 1
    renamed.write_bytes(changed)
    assert reference_for(renamed) is None


@needs_shared_models
def test_bench_gives_the_ratio_on_the_reference_board(capsys):
    result = bench(shared_model("mlperf_tiny/kws_ref_model.tflite"), "netduinoplus2", samples=1)
    assert result.bit_exact and result.macs == result.reference.macs
    assert any((row["kernel"] or "").endswith("_dsp") for row in result.per_layer)   # the M4's own kernels
    assert result.ratio == pytest.approx(result.instructions["median"] / 7_696_723)
    assert bench(shared_model("mlperf_tiny/kws_ref_model.tflite"), "mps2-an386", samples=1).ratio is None
