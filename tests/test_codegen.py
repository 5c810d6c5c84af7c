"""Generated C: warning-free on host gcc and arm-none-eabi-gcc, reproducible, safe names, atomic output."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tinygen.cli import main
from tinygen.compiler import Target, compile_graph, compile_model
from tinygen.compiler.codegen import render, write_atomically
from tinygen.default_model import DEFAULT_MODEL_PATH
from tinygen.model.tflite_importer import load_tflite
from tinygen.validation.host import validate_host

import tf_models
from conftest import needs_shared_models, shared_model

STRICT = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-c"]
COMPILERS = {
    "host gcc": ["gcc"],
    "arm-none-eabi-gcc cortex-m4": ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb"],
    "arm-none-eabi-gcc cortex-m0": ["arm-none-eabi-gcc", "-mcpu=cortex-m0", "-mthumb"],
}
TARGETS = {"portable": Target(), "dsp": Target(dsp=True)}    # the DSP variants compile on every core too
WARNING_MODELS = ["mlperf_tiny/pretrainedResnet_quant.tflite", "tflm/person_detect.tflite",
                  "tflm/test_conv_model.tflite", "tflm/micro_speech_quantized.tflite"]


def compile_c(compiler: list[str], folder: Path) -> None:
    if not shutil.which(compiler[0]):
        pytest.fail(f"{compiler[0]} is missing: .ci/install installs it (Debian package gcc-arm-none-eabi)")
    for source in sorted(folder.glob("*.c")):
        result = subprocess.run([*compiler, *STRICT, str(source), "-o", str(folder / (source.stem + ".o"))],
                                capture_output=True, text=True)
        assert result.returncode == 0, f"{source.name}:\n{result.stderr}"


@needs_shared_models
@pytest.mark.parametrize("model", WARNING_MODELS)
@pytest.mark.parametrize("compiler", sorted(COMPILERS))
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_generated_c_compiles_without_warnings(tmp_path, model, compiler, target):
    write_atomically(render(compile_model(shared_model(model), target=TARGETS[target])), tmp_path / "gen")
    compile_c(COMPILERS[compiler], tmp_path / "gen")


@pytest.fixture(scope="module")
def float_io_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("models") / "float_io_conv.tflite"
    path.write_bytes(tf_models.float_io_conv((9, 9, 3), 5))
    return path


@pytest.fixture(scope="module")
def pointwise_model(tmp_path_factory) -> Path:
    """A 1x1 convolution with a depth tail: the DSP variant's matrix product."""
    path = tmp_path_factory.mktemp("models") / "pointwise_conv.tflite"
    path.write_bytes(tf_models.conv2d((5, 7, 9), 6, 1))
    return path


@pytest.mark.parametrize("compiler", sorted(COMPILERS))
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_generated_c_for_self_made_models_compiles_without_warnings(tmp_path, compiler, target, float_io_model,
                                                                    pointwise_model):
    for model in (DEFAULT_MODEL_PATH, float_io_model, pointwise_model):
        write_atomically(render(compile_model(model, target=TARGETS[target])), tmp_path / model.stem)
        compile_c(COMPILERS[compiler], tmp_path / model.stem)


def test_default_model_gives_byte_identical_sources(tmp_path):
    for name in ("a", "b"):
        assert main(["compile", str(DEFAULT_MODEL_PATH), "-o", str(tmp_path / name)]) == 0
    assert ({p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()} ==
            {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()})


@needs_shared_models
def test_same_model_gives_byte_identical_sources(tmp_path):
    model = shared_model("mlperf_tiny/kws_ref_model.tflite")
    for name in ("a", "b"):
        assert main(["compile", str(model), "-o", str(tmp_path / name)]) == 0
    first = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    second = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert first.keys() == second.keys() and {"model.h", "model.c", "weights.c"} <= first.keys()
    assert first == second


@needs_shared_models
def test_compile_prints_layer_table_and_arena(tmp_path, capsys):
    assert main(["compile", str(shared_model("mlperf_tiny/kws_ref_model.tflite")), "-o", str(tmp_path / "out")]) == 0
    table = capsys.readouterr().out
    assert "DEPTHWISE_CONV_2D" in table and "MACs" in table and "weight B" in table
    assert "2,656,768" in table            # total MACs of the DS-CNN
    assert "arena: 16,000 bytes" in table
    model_c = (tmp_path / "out" / "model.c").read_text()
    plain_run = model_c.split("#else")[-1]         # the run without TG_PROFILE (with it, the profiled one's)
    assert plain_run.count("tg_convolve_s8(&") == 5 and plain_run.count("tg_depthwise_conv_s8(&") == 4
    assert model_c.count("    after_layer(") == 13
    assert "functional_1/activation/Relu" in model_c     # the layer's name from the model, in a comment


EVIL_NAMES = ["*/ int evil; /*", "../../etc/passwd", "name with spaces\nand newline", "123", "int", "",
              "ünïcödé/名前", "a" * 300, "x;y/z", "return"]


def test_hostile_tensor_names_never_reach_c_raw(tmp_path):
    path = DEFAULT_MODEL_PATH
    graph = load_tflite(path)
    for tensor, name in zip(graph.tensors, EVIL_NAMES * 3):
        tensor.name = name
    model = compile_graph(graph, "*/ evil.tflite", path.read_bytes())
    files = render(model)
    for text in files.values():
        assert "*/ int evil" not in text and "\n and newline" not in text   # comments cannot be closed early
    write_atomically(files, tmp_path / "gen")
    compile_c(COMPILERS["host gcc"], tmp_path / "gen")


def test_float_interface_model_keeps_float_io(float_io_model):
    model = compile_model(float_io_model)
    header = render(model)["model.h"]
    assert "void tg_model_run(const float *input0, float *output0);" in header
    report = validate_host(float_io_model, None, samples=50)
    assert report.bit_exact, report
