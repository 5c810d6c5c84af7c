"""The `tinygen` command line's grammar: commands, options with their checks and defaults, help texts
and exit codes (cli.py runs the commands)."""

import argparse
from pathlib import Path


EXIT_CODES = """exit codes:
  0  success (validate: every output equal to TFLM's)
  1  an error the message explains, or validate found outputs that differ from TFLM's
  2  the model file is unreadable or not TFLite, or the command line is wrong
  3  the model is valid but refused (unsupported operator, type or option, too big for any board)
  4  validate: bit-exact, but a budget gate failed (--max-*, --min-accuracy, --baseline)
  130  interrupted"""


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows real defaults (not None or off switches), and keeps the exit-code table's line breaks."""

    def _get_help_string(self, action):
        if action.default in (None, False):
            return action.help
        return super()._get_help_string(action)


def _add_command(commands, name: str, help: str) -> argparse.ArgumentParser:
    return commands.add_parser(name, help=help, description=help, epilog=EXIT_CODES, formatter_class=_HelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinygen", description="TinyML firmware generator for microcontrollers",
                                     epilog=EXIT_CODES, formatter_class=_HelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    compile_cmd = _add_command(commands, "compile", help="turn an int8 .tflite model into C sources")
    compile_cmd.add_argument("model", type=Path, help="int8 .tflite model")
    compile_cmd.add_argument("-o", "--output", type=_output_path, required=True, help="folder for the generated C")
    compile_cmd.add_argument("--no-sparse", action="store_true", help="keep every weight tensor dense")
    compile_cmd.add_argument("--board", help="board id: choose each layer's kernel variant for its core (default: "
                                             "portable C, as the host validation runs)")

    validate_cmd = _add_command(commands, "validate", help="prove generated code bit-exact against TFLM")
    validate_cmd.add_argument("--board", action="append",
                              help="board id: build its firmware and run it (see `tinygen boards`); repeat it, or "
                                   "--model, for a matrix of runs in parallel with one combined report")
    validate_cmd.add_argument("--target", choices=["host", "qemu", "device", "renode", "labgrid"],
                              help="where the code runs (default: qemu with --board, else host); labgrid: the "
                                   "board's place tinygen-BOARD in a labgrid farm, its firmware flashed")
    validate_cmd.add_argument("--model", type=Path, action="append",
                              help="int8 .tflite model (default with --board: tinygen's default model); repeatable")
    validate_cmd.add_argument("--jobs", type=_positive_int, help="matrix runs at a time (default: the cores; with "
                                                                 "--target labgrid one per board)")
    validate_cmd.add_argument("--port", help="serial port of a flashed device for --target device (/dev/ttyACM0, COM3)")
    validate_cmd.add_argument("--coordinator", help="labgrid coordinator HOST:PORT for --target labgrid "
                                                    "(default: LG_COORDINATOR, else 127.0.0.1:20408)")
    validate_cmd.add_argument("--inputs", "--data", dest="inputs", type=Path, help="samples as .npy (one input) or .npz")
    validate_cmd.add_argument("--samples", type=_positive_int, help="number of samples (random ones when no data is given; default 10)")
    validate_cmd.add_argument("--seed", type=int, default=0, help="seed for random samples")
    validate_cmd.add_argument("--json", type=_output_path, help="write the report as JSON here")
    validate_cmd.add_argument("--float-model", type=Path,
                              help="the float model (.tflite, .keras, .h5) to compare accuracy with (needs labels y)")
    validate_cmd.add_argument("--plots", type=_output_path, help="folder for PNG plots (default: beside --json)")
    validate_cmd.add_argument("--power-trace", type=Path,
                              help="a current trace recorded during this run (PPK2 CSV, Joulescope .jls, plain CSV): "
                                   "measured energy per inference beside the estimate")
    validate_cmd.add_argument("--firmware", type=Path,
                              help="with --target device: the project `tinygen build --app serial` wrote for the "
                                   "flashed firmware, for its flash and RAM figures")
    validate_cmd.add_argument("--html", type=_output_path, help="write the report as one self-contained HTML page here")
    gates = validate_cmd.add_argument_group("budget gates (exit code 4 when one fails)")
    gates.add_argument("--max-instructions", type=_positive_float, help="median instructions per inference (QEMU)")
    gates.add_argument("--max-cycles", type=_positive_float, help="median cycles per inference (a device's counter)")
    gates.add_argument("--max-ram", type=_bytes, help="RAM of the linked firmware (.data + .bss + stack), e.g. 64k")
    gates.add_argument("--max-flash", type=_bytes, help="flash of the linked firmware, e.g. 256k")
    gates.add_argument("--max-energy-uj", type=_positive_float,
                       help="energy per inference: measured with --power-trace, else the estimate")
    gates.add_argument("--min-accuracy", type=_unit_fraction, help="the device's accuracy on labelled --data (0..1)")
    gates.add_argument("--baseline", type=Path, help="an earlier run's --json report to compare with")
    gates.add_argument("--max-regression", type=_percentage, default=0.05,
                       help="how much worse than --baseline each figure may be, e.g. 5%%")
    add_trace_arguments(validate_cmd)

    report_cmd = _add_command(commands, "report", help="turn a validation report (validate --json) into one "
                                                       "self-contained HTML page")
    report_cmd.add_argument("run", type=Path, help="the JSON report of a validate run")
    report_cmd.add_argument("-o", "--output", type=_output_path, required=True, help="the HTML file to write")

    _add_command(commands, "boards", help="list the boards tinygen builds for")

    build_cmd = _add_command(commands, "build", help="build firmware for a board with PlatformIO (offline)")
    build_cmd.add_argument("--board", required=True, help="board id (see `tinygen boards`)")
    build_cmd.add_argument("--model", type=Path,
                           help="int8 .tflite model, or a float Keras model (.keras, .h5, SavedModel folder; told apart "
                                "by content) that --data optimizes first (default: the model shipped with tinygen)")
    build_cmd.add_argument("--out", type=_output_path, help="project folder (default: firmware_out/BOARD)")
    build_cmd.add_argument("--input", type=Path, help="input embedded in the firmware: .npy/.npz, first sample "
                                                       "(default: a seeded random input, or a test digit for the default model)")
    build_cmd.add_argument("--pio-registry", action="store_true",
                           help="use the board's PlatformIO registry platform instead of the offline one (needs internet)")
    build_cmd.add_argument("--no-sparse", action="store_true", help="keep every weight tensor dense")
    build_cmd.add_argument("--app", choices=["oneshot", "serial"], default="oneshot",
                           help="the main program: run the embedded input once and print the outputs, or serve "
                                "tinygen's serial protocol (for validate --target device)")
    add_optimize_arguments(build_cmd)

    optimize_cmd = _add_command(commands, "optimize", help="distill, prune and INT8-quantize a float Keras model")
    optimize_cmd.add_argument("--model", type=Path, required=True, help="teacher: .keras, .h5 or SavedModel folder")
    optimize_cmd.add_argument("-o", "--output", type=_output_path, required=True, help="the int8 .tflite to write")
    add_optimize_arguments(optimize_cmd)

    bench_cmd = _add_command(commands, "bench", help="exact instructions per inference on an emulated board, "
                                                     "against the TFLM + CMSIS-NN reference figures")
    bench_cmd.add_argument("models", type=Path, nargs="*",
                           help="int8 .tflite models (default: tinygen's default model)")
    bench_cmd.add_argument("--board", default="netduinoplus2",
                           help="board to run on (the reference figures were measured on netduinoplus2)")
    bench_cmd.add_argument("--samples", type=_positive_int, default=3, help="inferences per model (median reported)")
    bench_cmd.add_argument("--json", type=_output_path, help="write the figures as JSON here")

    power_cmd = _add_command(commands, "power", help="energy per inference, idle current and battery life from a "
                                                     "current trace (PPK2 CSV, Joulescope .jls, plain CSV)")
    power_cmd.add_argument("trace", type=Path, help="the trace file (with --capture: the file to record into)")
    power_cmd.add_argument("--board", help="board id: its supply voltage, and its energy estimate to compare with")
    power_cmd.add_argument("--instructions", type=_positive_float,
                           help="instructions per inference (from validate or bench) for the estimate to compare with")
    power_cmd.add_argument("--calibrate", action="store_true",
                           help="store the measured current and voltage as the board's energy model (needs --board)")
    power_cmd.add_argument("--capture", choices=["ppk2", "joulescope"],
                           help="record the trace from an attached profiler first")
    power_cmd.add_argument("--seconds", type=_positive_float, default=10.0, help="capture length")
    power_cmd.add_argument("--json", type=_output_path, help="write the measurement as JSON here")
    add_trace_arguments(power_cmd)

    hil_cmd = _add_command(commands, "hil", help="hardware-in-the-loop files: a labgrid environment and pytest "
                                                 "module for a board farm")
    hil_actions = hil_cmd.add_subparsers(dest="hil_action", required=True)
    hil_init = hil_actions.add_parser("init", help="write the files for one board", formatter_class=_HelpFormatter,
                                      epilog=EXIT_CODES)
    hil_init.add_argument("--board", required=True, help="board id")
    hil_init.add_argument("--model", help="int8 .tflite model the CI validates (default: tinygen's default model)")
    hil_init.add_argument("--out", type=_output_path, default=Path("hil"), help="folder for the files")
    hil_init.add_argument("--flash", choices=["auto", "openocd", "tinygen", "none"], default="auto",
                          help="how the test flashes the board: labgrid's OpenOCDDriver, `tinygen flash` on the test "
                               "host, or none (the firmware already runs, e.g. an emulated board); auto: from the board file")
    hil_init.add_argument("--samples", type=_positive_int, default=10, help="samples per validation")
    hil_init.add_argument("--firmware", help="a firmware project already built (`tinygen build --app serial`) to "
                                             "flash instead of building one, and for the flash and RAM gates")
    hil_init.add_argument("--renode", action="store_true",
                          help="also write a Renode Robot Framework suite and .resc (boards with a Renode platform)")
    hil_init.add_argument("--ci", choices=["github", "gitlab"], action="append", default=[],
                          help="also write a CI workflow: GitHub Actions or GitLab CI (repeatable)")
    hil_init.add_argument("--runner-label", default="tinygen-hil", help="the self-hosted runner's label for the labgrid job")
    hil_init.add_argument("--gate", action="append", default=[], metavar="OPTION",
                          help="a budget gate passed to validate, e.g. --gate=--max-instructions=5e6 (repeatable)")

    flash_cmd = _add_command(commands, "flash", help="write a built firmware to a board through its debug probe")
    flash_cmd.add_argument("--board", help="board id (required unless --list-probes)")
    flash_cmd.add_argument("--dir", type=Path, help="built project (default: firmware_out/BOARD)")
    flash_cmd.add_argument("--probe", metavar="UID",
                           help="the debug probe to use when several are attached (any unique part of its id)")
    flash_cmd.add_argument("--tool", help="flash with this tool instead of the board's default (pyocd, "
                                          "nrfjprog, openocd: the ones its board file names)")
    flash_cmd.add_argument("--list-probes", action="store_true", help="list the debug probes pyOCD sees and stop")
    flash_cmd.add_argument("--dry-run", action="store_true",
                           help="print the command (pyOCD: target, probe choice and file) and stop")
    return parser


def add_trace_arguments(command) -> None:
    command.add_argument("--supply-v", type=_positive_float,
                         help="supply voltage for traces that record none (default: the board file's)")
    command.add_argument("--marker", help="profiler channel wired to the board's marker pin (PPK2: D0..D7, default "
                                          "D0; Joulescope: a signal name, default gpi[0])")
    command.add_argument("--inferences", type=_positive_int,
                         help="without a marker: the number of inferences in the trace (with --period)")
    command.add_argument("--period", type=_positive_float, help="without a marker: seconds from one inference to the next")
    command.add_argument("--battery-mah", type=_positive_float, default=225.0,
                         help="battery capacity for the life projection (CR2032)")
    command.add_argument("--rate", type=_positive_float, default=1.0, help="inferences per second in the projection")


def add_optimize_arguments(command) -> None:
    command.add_argument("--data", type=Path, help="npz with x_train, y_train, x_test, y_test (or x, y)")
    command.add_argument("--student", help="width:0.5 (teacher at a width multiplier), cnn:8, mlp:64,32, or a model file")
    command.add_argument("--flash-budget", help="size the built-in student family to this budget, e.g. 256k")
    command.add_argument("--distill-temperature", type=_positive_float, default=4.0,
                         help="softens teacher and student outputs in the distillation loss; higher passes more of "
                              "the teacher's ranking of the wrong classes")
    command.add_argument("--distill-alpha", type=_fraction, default=0.1,
                         help="weight of the hard labels in the distillation loss (0..1; the rest is the teacher's)")
    command.add_argument("--sparsity", type=_fraction, help="magnitude pruning to this fraction of zero weights (0..1)")
    command.add_argument("--structured-prune", type=_fraction, help="remove this fraction of filters/units (0..1)")
    command.add_argument("--qat", action="store_true", help="quantization-aware training instead of post-training")
    command.add_argument("--epochs", type=_positive_int, default=20, help="training epochs per step")


def _output_path(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: give a path")
    return Path(text)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be a fraction from 0 up to (not including) 1, not {text}")
    return value


def _bytes(text: str) -> int:
    """A byte count: 65536, 64k (KiB) or 1m (MiB)."""
    factor = {"k": 1024, "m": 1024 * 1024}.get(text[-1:].lower(), 1)
    try:
        value = int(float(text[:-1] if factor > 1 else text) * factor)
    except ValueError:
        raise argparse.ArgumentTypeError(f"is not a byte count: {text} (e.g. 65536, 64k, 1m)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 byte, not {text}")
    return value


def _percentage(text: str) -> float:
    """5% or 0.05 -> 0.05."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"is not a percentage: {text} (e.g. 5%)") from None
    if not 0 <= value < 10:
        raise argparse.ArgumentTypeError(f"must be from 0% up to 1000%, not {text}")
    return value


def _unit_fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, not {text}")
    return value
