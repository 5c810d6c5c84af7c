"""Output paths never cost the user data: tinygen replaces only folders it generated, never the input,
keeps the previous output when a step fails, creates folders with the umask's permissions, and checks
report paths before the long work starts."""

import os
import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest

from tinygen.cli import main
from tinygen.default_model import DEFAULT_MODEL_PATH
from tinygen.firmware import build as firmware_build
from tinygen.errors import TinygenError
from tinygen.output_paths import MANIFEST


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "m.tflite"
    shutil.copy(DEFAULT_MODEL_PATH, path)
    return path


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody can create files in, root included (chattr +i where chmod is not enough)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = os.geteuid() == 0 and shutil.which("chattr") is not None
    if immutable and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        immutable = False
    probe = folder / "probe"
    try:
        probe.touch()
        probe.unlink()
        pytest.skip("cannot make a folder read-only here (root without chattr)")
    except OSError:
        pass
    yield folder
    if immutable:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


def no_leftovers(parent):
    return [p.name for p in parent.iterdir() if "tinygen-new" in p.name or "tinygen-old" in p.name
            or p.name.startswith(".tinygen-probe")]


def test_compile_never_turns_a_file_into_a_folder(tmp_path, model, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    assert main(["compile", str(model), "-o", str(notes)]) == 1
    assert notes.read_text() == "my notes"
    assert "not a folder" in capsys.readouterr().err


def test_compile_never_removes_the_input(tmp_path, model, capsys):
    before = model.read_bytes()
    assert main(["compile", str(model), "-o", str(model)]) == 1
    assert model.read_bytes() == before
    assert main(["compile", str(model), "-o", str(tmp_path)]) == 1      # the folder holding the input
    assert model.read_bytes() == before
    assert "would overwrite the input" in capsys.readouterr().err


def test_a_folder_with_user_files_is_refused_and_kept(tmp_path, model, capsys):
    mine = tmp_path / "somefolder"
    mine.mkdir()
    (mine / "a.txt").write_text("mine")
    assert main(["compile", str(model), "-o", str(mine) + "/"]) == 1
    assert snapshot(mine) == {"a.txt": b"mine"}
    assert "did not write" in capsys.readouterr().err and no_leftovers(tmp_path) == []


def test_current_folder_and_empty_path_are_refused_cleanly(tmp_path, model, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("keep")
    monkeypatch.chdir(work)
    assert main(["compile", str(model), "-o", "."]) == 1
    assert snapshot(work) == {"keep.txt": b"keep"} and no_leftovers(tmp_path) == []
    with pytest.raises(SystemExit) as exited:
        main(["compile", str(model), "-o", ""])
    assert exited.value.code == 2 and "is empty" in capsys.readouterr().err


def test_generated_folder_is_replaced_unless_the_user_changed_it(tmp_path, model, capsys):
    out = tmp_path / "out"
    assert main(["compile", str(model), "-o", str(out)]) == 0
    assert (out / MANIFEST).is_file() and (out / "model.c").is_file()
    first = snapshot(out)
    assert main(["compile", str(model), "-o", str(out)]) == 0           # ours: replaced, same content
    assert snapshot(out) == first
    (out / ".pio").mkdir()
    (out / ".pio" / "cache.o").write_bytes(b"rebuilt from the sources")  # PlatformIO's cache is regenerable
    assert main(["compile", str(model), "-o", str(out)]) == 0
    with (out / "model.c").open("a") as edited:
        edited.write("/* my change */\n")
    assert main(["compile", str(model), "-o", str(out)]) == 1
    assert (out / "model.c").read_text().endswith("/* my change */\n")
    (out / "model.c").write_bytes(first["model.c"])
    (out / "README.txt").write_text("added by me")
    assert main(["compile", str(model), "-o", str(out)]) == 1
    assert (out / "README.txt").read_text() == "added by me"
    assert "README.txt" in capsys.readouterr().err and no_leftovers(tmp_path) == []


def test_failed_compile_keeps_the_previous_output(tmp_path, model):
    out = tmp_path / "out"
    assert main(["compile", str(model), "-o", str(out)]) == 0
    before = snapshot(out)
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(model.read_bytes()[: len(model.read_bytes()) // 2])
    assert main(["compile", str(broken), "-o", str(out)]) == 2
    assert snapshot(out) == before and no_leftovers(tmp_path) == []


@pytest.mark.parametrize("umask, folder_mode, file_mode", [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)])
def test_output_follows_the_umask(tmp_path, model, umask, folder_mode, file_mode):
    previous = os.umask(umask)
    try:
        assert main(["compile", str(model), "-o", str(tmp_path / "out")]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == folder_mode
    assert stat.S_IMODE((tmp_path / "out" / "model.c").stat().st_mode) == file_mode


def test_read_only_destination_is_a_clear_error(read_only_folder, model, capsys):
    assert main(["compile", str(model), "-o", str(read_only_folder / "out")]) == 1
    assert "cannot write in" in capsys.readouterr().err


def test_build_refuses_a_foreign_folder_before_compiling(tmp_path, capsys):
    out = tmp_path / "fw"
    out.mkdir()
    (out / "main.c").write_text("int main(void) { return 0; }")
    assert main(["build", "--board", "mps2-an386", "--out", str(out)]) == 1
    assert snapshot(out) == {"main.c": b"int main(void) { return 0; }"}
    assert "did not write" in capsys.readouterr().err


@pytest.mark.parametrize("failure", [TinygenError("PlatformIO build failed"), KeyboardInterrupt()])
def test_failed_build_keeps_the_previous_firmware(tmp_path, monkeypatch, failure):
    monkeypatch.setenv("TINYGEN_HOME", str(tmp_path / "home"))
    out = tmp_path / "fw"
    assert main(["build", "--board", "mps2-an386", "--out", str(out)]) == 0
    before = snapshot(out)
    assert "firmware.elf" in before

    def fail(project):
        raise failure

    monkeypatch.setattr(firmware_build, "run_platformio", fail)   # a build that dies half-way
    assert main(["build", "--board", "mps2-an386", "--out", str(out)]) == (130 if isinstance(failure, KeyboardInterrupt) else 1)
    assert snapshot(out) == before and no_leftovers(tmp_path) == []


def test_build_tells_int8_from_keras_by_content(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TINYGEN_HOME", str(tmp_path / "home"))
    oddly_named = tmp_path / "model.BIN"
    shutil.copy(DEFAULT_MODEL_PATH, oddly_named)
    assert main(["build", "--board", "mps2-an386", "--model", str(oddly_named), "--out", str(tmp_path / "fw")]) == 0
    assert (tmp_path / "fw" / "firmware.elf").is_file()
    keras_file = tmp_path / "teacher.tflite"
    keras_file.write_bytes(b"PK\x03\x04" + bytes(60))        # a .keras zip, whatever its suffix
    assert main(["build", "--board", "mps2-an386", "--model", str(keras_file), "--out", str(tmp_path / "fw2")]) == 1
    assert "float model: give --data" in capsys.readouterr().err


def test_report_paths_are_checked_before_the_run(tmp_path, read_only_folder, capsys):
    assert main(["validate", "--board", "mps2-an386", "--json", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err
    assert main(["validate", "--board", "mps2-an386", "--json", str(tmp_path / "missing" / "r.json")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["validate", "--board", "mps2-an386", "--plots", str(read_only_folder / "plots")]) == 1
    assert "plots folder" in capsys.readouterr().err
    assert main(["validate", "--board", "mps2-an386", "--plots", str(read_only_folder)]) == 1
    assert "cannot write in" in capsys.readouterr().err


@pytest.mark.parametrize("target", [["--target", "host"], ["--board", "mps2-an386"]])
def test_data_file_without_samples_is_a_clear_error(tmp_path, target, capsys):
    empty = tmp_path / "empty.npz"
    np.savez(empty, x=np.zeros((0, 8, 8, 1), dtype=np.int8))
    assert main(["validate", *target, "--model", str(DEFAULT_MODEL_PATH), "--inputs", str(empty)]) == 1
    assert "holds no samples" in capsys.readouterr().err


def test_optimize_checks_its_arguments_before_training(tmp_path, capsys):
    teacher = tmp_path / "teacher.keras"
    teacher.write_bytes(b"PK\x03\x04" + bytes(60))
    data = tmp_path / "data.npz"
    np.savez(data, x=np.zeros((4, 8, 8, 1)), y=np.zeros(4, dtype=np.int64))
    assert main(["optimize", "--model", str(teacher), "-o", str(tmp_path / "m.tflite")]) == 1
    assert "give --data" in capsys.readouterr().err
    assert main(["optimize", "--model", str(teacher), "--data", str(data), "-o", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err
    assert main(["optimize", "--model", str(teacher), "--data", str(data), "-o", str(teacher)]) == 1
    assert "is an input" in capsys.readouterr().err
    for option, value in (("--epochs", "-1"), ("--distill-alpha", "7"), ("--sparsity", "1.5"),
                          ("--structured-prune", "-0.1"), ("--distill-temperature", "0")):
        with pytest.raises(SystemExit) as exited:
            main(["optimize", "--model", str(teacher), "--data", str(data), "-o", str(tmp_path / "m.tflite"),
                  option, value])
        assert exited.value.code == 2 and option in capsys.readouterr().err


def test_cli_errors_never_show_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tinygen.cli", "compile", str(DEFAULT_MODEL_PATH), "-o",
                             str(tmp_path)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0       # an empty folder is free to use
    result = subprocess.run([sys.executable, "-m", "tinygen.cli", "compile", str(DEFAULT_MODEL_PATH), "-o", "."],
                            capture_output=True, text=True, cwd=tmp_path.parent)
    assert result.returncode == 1 and "Traceback" not in result.stderr
