"""The `tinygen` command line."""

import argparse
import json
import shlex
import sys
from pathlib import Path

from .errors import TinygenError


def _cmd_compile(args) -> int:
    from .compiler import compile_model
    from .compiler.codegen import render, write_atomically
    from .report import layer_table

    model = compile_model(args.model, sparse=not args.no_sparse)
    files = render(model)
    write_atomically(files, args.output)
    print(layer_table(model))
    print(f"wrote {len(files)} files to {args.output}")
    return 0


def _cmd_validate(args) -> int:
    if args.samples is not None and args.samples < 1:
        raise TinygenError("--samples must be at least 1")
    target = args.target or ("qemu" if args.board else "host")
    model = args.model
    if model is None:
        if not args.board:
            raise TinygenError("give --model (or --board to validate the default model)")
        from .default_model import DEFAULT_MODEL_PATH as model
    if target == "host":
        from .validate import validate_host

        report = validate_host(model, args.inputs, args.samples, args.seed)
        text, data = report.summary(), report.as_dict()
    else:
        if not args.board:
            raise TinygenError(f"--target {target} needs --board")
        from .firmware_validation import summary, validate_firmware

        plots_dir = args.plots or (args.json.parent / f"{args.json.stem}_plots" if args.json else None)
        data = validate_firmware(args.board, model, target, args.port, args.inputs, args.samples, args.seed,
                                 args.float_model, plots_dir)
        text = summary(data)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n")
    return 0 if data["bit_exact"] else 1


def _optimize_options(args):
    from .optimize.pipeline import Options

    return Options(student=args.student, flash_budget=args.flash_budget, temperature=args.distill_temperature,
                   alpha=args.distill_alpha, sparsity=args.sparsity, structured_prune=args.structured_prune,
                   qat=args.qat, epochs=args.epochs)


def _optimize_to(args, teacher: Path, output: Path) -> Path:
    """Runs the optimize pipeline, prints its report and writes the int8 model to `output`."""
    from .optimize.pipeline import optimize, write
    from .optimize.report import table

    result = optimize(teacher, args.data, _optimize_options(args))
    print(table(result.steps, result.metric))
    for message in result.messages:
        print(f"note: {message}")
    written = write(result, output)
    for path in written:
        print(f"wrote {path}")
    return written[0]


def _cmd_optimize(args) -> int:
    _optimize_to(args, args.model, args.output)
    return 0


def _add_optimize_arguments(command) -> None:
    command.add_argument("--data", type=Path, help="npz with x_train, y_train, x_test, y_test (or x, y)")
    command.add_argument("--student", help="width:0.5 (teacher at a width multiplier), cnn:8, mlp:64,32, or a model file")
    command.add_argument("--flash-budget", help="size the built-in student family to this budget, e.g. 256k")
    command.add_argument("--distill-temperature", type=float, default=4.0)
    command.add_argument("--distill-alpha", type=float, default=0.1, help="weight of the hard labels in the loss")
    command.add_argument("--sparsity", type=float, help="magnitude pruning to this fraction of zero weights")
    command.add_argument("--structured-prune", type=float, help="remove this fraction of filters/units")
    command.add_argument("--qat", action="store_true", help="quantization-aware training instead of post-training")
    command.add_argument("--epochs", type=int, default=20, help="training epochs per step")


def _cmd_boards(args) -> int:
    from .boards import boards_table

    print(boards_table())
    return 0


def _cmd_build(args) -> int:
    from .boards import get_board
    from .firmware.build import build, describe

    board = get_board(args.board)
    out_dir = args.out or Path("firmware_out") / board.id
    sample = None
    model = args.model
    if model is not None and model.suffix != ".tflite":
        if args.data is None:
            raise TinygenError(f"{model} is a float model: give --data so tinygen can optimize it to int8 first")
        model = _optimize_to(args, model, out_dir.with_suffix(".tflite"))
    if model is None:
        from . import default_model

        model = default_model.DEFAULT_MODEL_PATH
        if args.input is None:
            sample = [default_model.sample_input()[0]]
        accuracy = default_model.model_info()["int8_accuracy_tflm"]
        print(f"model: tinygen's default model {model.name} (8x8 digits CNN, int8 test accuracy {accuracy:.3f})")
    result = build(board, model, out_dir, args.input, sample, use_registry=args.pio_registry,
                   sparse=not args.no_sparse)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinygen", description="TinyML firmware generator for microcontrollers")
    commands = parser.add_subparsers(dest="command", required=True)

    compile_cmd = commands.add_parser("compile", help="turn an int8 .tflite model into C sources")
    compile_cmd.add_argument("model", type=Path, help="int8 .tflite model")
    compile_cmd.add_argument("-o", "--output", type=Path, required=True, help="folder for the generated C")
    compile_cmd.add_argument("--no-sparse", action="store_true", help="keep every weight tensor dense")
    compile_cmd.set_defaults(run=_cmd_compile)

    validate_cmd = commands.add_parser("validate", help="prove generated code bit-exact against TFLM")
    validate_cmd.add_argument("--board", help="board id: build its firmware and run it (see `tinygen boards`)")
    validate_cmd.add_argument("--target", choices=["host", "qemu", "device", "renode"],
                              help="where the code runs (default: qemu with --board, else host)")
    validate_cmd.add_argument("--model", type=Path, help="int8 .tflite model (default with --board: tinygen's default model)")
    validate_cmd.add_argument("--port", help="serial port of a flashed device for --target device (/dev/ttyACM0, COM3)")
    validate_cmd.add_argument("--inputs", "--data", dest="inputs", type=Path, help="samples as .npy (one input) or .npz")
    validate_cmd.add_argument("--samples", type=int, help="number of samples (random ones when no data is given; default 10)")
    validate_cmd.add_argument("--seed", type=int, default=0, help="seed for random samples")
    validate_cmd.add_argument("--json", type=Path, help="write the report as JSON here")
    validate_cmd.add_argument("--float-model", type=Path,
                              help="the float model (.tflite, .keras, .h5) to compare accuracy with (needs labels y)")
    validate_cmd.add_argument("--plots", type=Path, help="folder for PNG plots (default: beside --json)")
    validate_cmd.set_defaults(run=_cmd_validate)

    boards_cmd = commands.add_parser("boards", help="list the boards tinygen builds for")
    boards_cmd.set_defaults(run=_cmd_boards)

    build_cmd = commands.add_parser("build", help="build firmware for a board with PlatformIO (offline)")
    build_cmd.add_argument("--board", required=True, help="board id (see `tinygen boards`)")
    build_cmd.add_argument("--model", type=Path, help="int8 .tflite model (default: the model shipped with tinygen)")
    build_cmd.add_argument("--out", type=Path, help="project folder (default: firmware_out/BOARD)")
    build_cmd.add_argument("--input", type=Path, help="input embedded in the firmware: .npy/.npz, first sample "
                                                       "(default: a seeded random input, or a test digit for the default model)")
    build_cmd.add_argument("--pio-registry", action="store_true",
                           help="use the board's PlatformIO registry platform instead of the offline one (needs internet)")
    build_cmd.add_argument("--no-sparse", action="store_true", help="keep every weight tensor dense")
    _add_optimize_arguments(build_cmd)
    build_cmd.set_defaults(run=_cmd_build)

    optimize_cmd = commands.add_parser("optimize", help="distill, prune and INT8-quantize a float Keras model")
    optimize_cmd.add_argument("--model", type=Path, required=True, help="teacher: .keras, .h5 or SavedModel folder")
    optimize_cmd.add_argument("-o", "--output", type=Path, required=True, help="the int8 .tflite to write")
    _add_optimize_arguments(optimize_cmd)
    optimize_cmd.set_defaults(run=_cmd_optimize)

    flash_cmd = commands.add_parser("flash", help="write a built firmware to a board through its debug probe")
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
