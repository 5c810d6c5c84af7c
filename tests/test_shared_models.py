"""Every reference model tinygen supports is bit-exact with TFLM on the host, on the sample inputs
shipped with it and on 50 random inputs, with an arena no larger than TFLM's."""

import json

import numpy as np
import pytest

from tinygen.cli import main
from tinygen.validation.host import validate_host

from conftest import needs_shared_models, shared_model

pytestmark = needs_shared_models

# model -> sample input files and how to turn them into the model's int8 input
MODELS = {
    "mlperf_tiny/kws_ref_model.tflite": [("mlperf_tiny/kws_input_int8_1x49x10x1.npy", 0)],
    "mlperf_tiny/pretrainedResnet_quant.tflite": [("mlperf_tiny/ic_input_uint8_1x32x32x3.npy", -128)],
    "tflm/hello_world_int8.tflite": [],
    "tflm/micro_speech_quantized.tflite": [("tflm/yes_1000ms_features_int8_49x40.npy", 0),
                                           ("tflm/no_1000ms_features_int8_49x40.npy", 0)],
    "tflm/network_model.tflite": [],
    "tflm/person_detect.tflite": [("tflm/person_96x96_uint8.npy", -128), ("tflm/no_person_96x96_uint8.npy", -128)],
    "tflm/test_conv_model.tflite": [],
}


@pytest.mark.parametrize("model", sorted(MODELS))
def test_bit_exact_on_50_random_inputs_and_arena_within_tflm(model):
    report = validate_host(shared_model(model), None, samples=50, seed=3)
    assert report.samples == 50
    assert report.bit_exact, report
    assert report.memory.arena_bytes <= report.memory.tflm_arena_bytes, report


@pytest.mark.parametrize("model", sorted(m for m, inputs in MODELS.items() if inputs))
def test_bit_exact_on_the_shipped_sample_inputs(model, tmp_path):
    samples = [np.load(shared_model(name)).astype(np.int16) + offset for name, offset in MODELS[model]]
    path = tmp_path / "inputs.npy"
    np.save(path, np.stack([s.reshape(-1) for s in samples]).astype(np.int8))
    report_path = tmp_path / "report.json"
    exit_code = main(["validate", "--target", "host", "--model", str(shared_model(model)),
                      "--inputs", str(path), "--json", str(report_path)])
    report = json.loads(report_path.read_text())
    assert exit_code == 0, report
    assert report["bit_exact"] is True and report["samples"] == len(samples)
    assert report["mismatched_outputs"] == 0 and report["max_abs_diff"] == 0
    assert report["report_version"] == 1 and report["memory"]["arena_bytes"] <= report["memory"]["tflm_arena_bytes"]
