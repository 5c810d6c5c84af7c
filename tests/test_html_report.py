"""The HTML report: made by `validate --html` and again from the JSON by `tinygen report`, then
rendered in a real headless Chromium (Debian's, installed by .ci/install). The screenshot must show
the charts (their colours, decoded from the inlined PNGs) and is kept in test-artifacts/."""

import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from tinygen.cli import main
from tinygen.default_model import test_split

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Chromium is missing: `bash .ci/install` installs Debian's chromium package")
    return path


def screenshot(page: Path, out: Path) -> np.ndarray:
    """The page as Chromium draws it (RGB, 0..255)."""
    run = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                          "--window-size=1200,6000", f"--screenshot={out}", page.resolve().as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and out.is_file(), run.stderr[-2000:]
    return (matplotlib.image.imread(out)[:, :, :3] * 255).round()


def pixels_near(image: np.ndarray, colour: tuple[int, int, int], tolerance: int = 6) -> int:
    return int(np.all(np.abs(image - np.array(colour)) <= tolerance, axis=-1).sum())


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """A QEMU validation with labels and a (synthetic) power trace: every part of the report filled."""
    from test_power import Synthetic

    folder = tmp_path_factory.mktemp("report")
    x, y = test_split()
    data = folder / "digits.npz"
    np.savez(data, x=x[:20], y=y[:20])
    trace = Synthetic(seed=4).ppk2_csv(folder / "ppk2.csv")
    assert main(["validate", "--board", "nrf52840", "--data", str(data), "--power-trace", str(trace),
                 "--supply-v", "3.0", "--json", str(folder / "run.json"), "--html", str(folder / "run.html")]) == 0
    return folder


def test_the_report_renders_in_chromium_with_its_charts(full_run):
    page = full_run / "run.html"
    text = page.read_text()
    assert "http://" not in text and "https://" not in text and "<script" not in text      # self-contained
    assert text.count("data:image/png;base64,") == 4       # per layer, memory, confusion matrix, power trace
    for heading in ("Bit-exactness against TFLM", "Latency per layer", "Memory", "Accuracy", "Energy"):
        assert heading in text
    ARTIFACTS.mkdir(exist_ok=True)
    image = screenshot(page, ARTIFACTS / "html_report.png")
    assert pixels_near(image, (0x2E, 0x7D, 0x32)) > 200            # the BIT-EXACT badge
    assert pixels_near(image, (0x3B, 0x75, 0xAF)) > 5000           # per-layer bars and the trace's line
    assert pixels_near(image, (250, 223, 188)) > 5000              # inference windows shaded on the trace
    assert pixels_near(image, (0xDD, 0xDD, 0xDD), 2) > 1000        # free flash and RAM in the memory map


def test_tinygen_report_makes_the_same_page_from_the_json(full_run, tmp_path):
    out = tmp_path / "again.html"
    assert main(["report", str(full_run / "run.json"), "-o", str(out)]) == 0
    assert out.read_text() == (full_run / "run.html").read_text()


def test_a_host_report_renders_without_the_board_parts(tmp_path):
    from tinygen.default_model import DEFAULT_MODEL_PATH

    run = tmp_path / "host.json"
    assert main(["validate", "--target", "host", "--model", str(DEFAULT_MODEL_PATH), "--samples", "3",
                 "--json", str(run), "--html", str(tmp_path / "host.html")]) == 0
    text = (tmp_path / "host.html").read_text()
    assert "BIT-EXACT" in text and "TFLM arena" in text and "Latency per layer" not in text
    image = screenshot(tmp_path / "host.html", tmp_path / "host.png")
    assert pixels_near(image, (0x2E, 0x7D, 0x32)) > 200


@pytest.mark.parametrize("content,message", [("{", "not a tinygen validation report"),
                                             ('{"report_version": 7}', "report_version 7")])
def test_report_refuses_what_is_not_a_validation_report(tmp_path, capsys, content, message):
    run = tmp_path / "run.json"
    run.write_text(content)
    assert main(["report", str(run), "-o", str(tmp_path / "out.html")]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out.html").exists()
