"""The `tinygen` command line."""

import argparse
import json
import shlex
import sys
import tempfile
from pathlib import Path

from .errors import TinygenError


def _cmd_compile(args) -> int:
    from .compiler import compile_model
    from .compiler.codegen import render, write_atomically
    from .output_paths import check_output_folder
    from .report import layer_table

    check_output_folder(args.output, [args.model])
    model = compile_model(args.model, sparse=not args.no_sparse)
    files = render(model)
    write_atomically(files, args.output, [args.model])
    print(layer_table(model))
    print(f"wrote {len(files)} files to {args.output}")
    return 0


def _cmd_validate(args) -> int:
    from .output_paths import check_output_file, check_plots_folder, write_file_atomically

    target = args.target or ("qemu" if args.board else "host")
    model = args.model
    if model is None:
        if not args.board:
            raise TinygenError("give --model (or --board to validate the default model)")
        from .default_model import DEFAULT_MODEL_PATH as model
    if args.json:
        check_output_file(args.json, "--json")
    if target == "host":
        from .validate import validate_host

        report = validate_host(model, args.inputs, args.samples, args.seed)
        text, data = report.summary(), report.as_dict()
    else:
        if not args.board:
            raise TinygenError(f"--target {target} needs --board")
        from .firmware_validation import summary, validate_firmware

        plots_dir = args.plots or (args.json.parent / f"{args.json.stem}_plots" if args.json else None)
        if plots_dir is not None:
            check_plots_folder(plots_dir)
        data = validate_firmware(args.board, model, target, args.port, args.inputs, args.samples, args.seed,
                                 args.float_model, plots_dir)
        text = summary(data)
    print(text)
    if args.json:
        write_file_atomically(args.json, (json.dumps(data, indent=2) + "\n").encode())
    return 0 if data["bit_exact"] else 1


def _optimize_options(args):
    from .optimize.pipeline import Options

    return Options(student=args.student, flash_budget=args.flash_budget, temperature=args.distill_temperature,
                   alpha=args.distill_alpha, sparsity=args.sparsity, structured_prune=args.structured_prune,
                   qat=args.qat, epochs=args.epochs)


def _optimize_to(args, teacher: Path, output: Path) -> list[Path]:
    """Runs the optimize pipeline, prints its report and writes the int8 model (first path) and its report."""
    from .optimize.pipeline import optimize, write
    from .optimize.report import table

    result = optimize(teacher, args.data, _optimize_options(args))
    print(table(result.steps, result.metric))
    for message in result.messages:
        print(f"note: {message}")
    written = write(result, output)
    for path in written:
        print(f"wrote {path}")
    return written


def _check_optimize_inputs(args, teacher: Path) -> None:
    """What training would otherwise find out only after minutes."""
    if args.data is None:
        raise TinygenError(f"{teacher} is a float model: give --data (an .npz with x_train, y_train, x_test, "
                           "y_test, or x, y) so tinygen can train and quantize it to int8")
    for path, what in ((teacher, "model"), (args.data, "--data")):
        if not Path(path).exists():
            raise TinygenError(f"{what} {path} does not exist")


def _cmd_optimize(args) -> int:
    from .output_paths import check_output_file

    _check_optimize_inputs(args, args.model)
    check_output_file(args.output, "-o")
    if args.output.resolve() in (args.model.resolve(), args.data.resolve()):
        raise TinygenError(f"-o {args.output} is an input: choose another file for the int8 model")
    _optimize_to(args, args.model, args.output)
    return 0


def _add_optimize_arguments(command) -> None:
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


def _cmd_boards(args) -> int:
    from .boards import boards_table

    print(boards_table())
    return 0


def _cmd_build(args) -> int:
    from .boards import get_board
    from .firmware.build import build, describe
    from .model.formats import is_keras_model
    from .output_paths import check_output_folder

    board = get_board(args.board)
    out_dir = args.out or Path("firmware_out") / board.id
    sample, extra_files = None, []
    model = args.model
    with tempfile.TemporaryDirectory(prefix="tinygen-optimize-") as work:
        if model is not None and is_keras_model(model):
            _check_optimize_inputs(args, model)
            check_output_folder(out_dir, [model, args.data])
            extra_files = _optimize_to(args, model, Path(work) / f"{model.stem}_int8.tflite")
            model = extra_files[0]
        if model is None:
            from . import default_model

            model = default_model.DEFAULT_MODEL_PATH
            if args.input is None:
                sample = [default_model.sample_input()[0]]
            accuracy = default_model.model_info()["int8_accuracy_tflm"]
            print(f"model: tinygen's default model {model.name} (8x8 digits CNN, int8 test accuracy {accuracy:.3f})")
        result = build(board, model, out_dir, args.input, sample, use_registry=args.pio_registry,
                       sparse=not args.no_sparse, extra_files=extra_files)
    print(describe(result))
    return 0


def _cmd_flash(args) -> int:
    from .boards import get_board
    from .targets.flash import flash, flash_command

    board = get_board(args.board)
    project = args.dir or Path("firmware_out") / board.id
    command = flash_command(board, project)
    print(shlex.join(command))
    if not args.dry_run:
        flash(board, project)
        print(f"flashed {board.id}")
    return 0


EXIT_CODES = """exit codes:
  0  success (validate: every output equal to TFLM's)
  1  an error the message explains, or validate found outputs that differ from TFLM's
  2  the model file is unreadable or not TFLite, or the command line is wrong
  3  the model is valid but refused (unsupported operator, type or option, too big for any board)
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
    compile_cmd.set_defaults(run=_cmd_compile)

    validate_cmd = _add_command(commands, "validate", help="prove generated code bit-exact against TFLM")
    validate_cmd.add_argument("--board", help="board id: build its firmware and run it (see `tinygen boards`)")
    validate_cmd.add_argument("--target", choices=["host", "qemu", "device", "renode"],
                              help="where the code runs (default: qemu with --board, else host)")
    validate_cmd.add_argument("--model", type=Path, help="int8 .tflite model (default with --board: tinygen's default model)")
    validate_cmd.add_argument("--port", help="serial port of a flashed device for --target device (/dev/ttyACM0, COM3)")
    validate_cmd.add_argument("--inputs", "--data", dest="inputs", type=Path, help="samples as .npy (one input) or .npz")
    validate_cmd.add_argument("--samples", type=_positive_int, help="number of samples (random ones when no data is given; default 10)")
    validate_cmd.add_argument("--seed", type=int, default=0, help="seed for random samples")
    validate_cmd.add_argument("--json", type=_output_path, help="write the report as JSON here")
    validate_cmd.add_argument("--float-model", type=Path,
                              help="the float model (.tflite, .keras, .h5) to compare accuracy with (needs labels y)")
    validate_cmd.add_argument("--plots", type=_output_path, help="folder for PNG plots (default: beside --json)")
    validate_cmd.set_defaults(run=_cmd_validate)

    boards_cmd = _add_command(commands, "boards", help="list the boards tinygen builds for")
    boards_cmd.set_defaults(run=_cmd_boards)

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
    _add_optimize_arguments(build_cmd)
    build_cmd.set_defaults(run=_cmd_build)

    optimize_cmd = _add_command(commands, "optimize", help="distill, prune and INT8-quantize a float Keras model")
    optimize_cmd.add_argument("--model", type=Path, required=True, help="teacher: .keras, .h5 or SavedModel folder")
    optimize_cmd.add_argument("-o", "--output", type=_output_path, required=True, help="the int8 .tflite to write")
    _add_optimize_arguments(optimize_cmd)
    optimize_cmd.set_defaults(run=_cmd_optimize)

    flash_cmd = _add_command(commands, "flash", help="write a built firmware to a board through its debug probe")
    flash_cmd.add_argument("--board", required=True, help="board id")
    flash_cmd.add_argument("--dir", type=Path, help="built project (default: firmware_out/BOARD)")
    flash_cmd.add_argument("--dry-run", action="store_true", help="print the exact command and stop")
    flash_cmd.set_defaults(run=_cmd_flash)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except TinygenError as exc:
        print(f"tinygen: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tinygen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
