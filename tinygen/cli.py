"""The `tinygen` command line."""

import argparse
import json
import sys
from pathlib import Path

from .errors import TinygenError


def _cmd_compile(args) -> int:
    from .compiler import compile_model
    from .compiler.codegen import render, write_atomically
    from .report import layer_table

    model = compile_model(args.model)
    files = render(model)
    write_atomically(files, args.output)
    print(layer_table(model))
    print(f"wrote {len(files)} files to {args.output}")
    return 0


def _cmd_validate(args) -> int:
    from .validate import validate_host

    if args.target != "host":
        raise TinygenError(f"target '{args.target}' is not available yet; use --target host")
    if args.samples is not None and args.samples < 1:
        raise TinygenError("--samples must be at least 1")
    report = validate_host(args.model, args.inputs, args.samples, args.seed)
    print(report.summary())
    if args.json:
        Path(args.json).write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    return 0 if report.bit_exact else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinygen", description="TinyML firmware generator for microcontrollers")
    commands = parser.add_subparsers(dest="command", required=True)

    compile_cmd = commands.add_parser("compile", help="turn an int8 .tflite model into C sources")
    compile_cmd.add_argument("model", type=Path, help="int8 .tflite model")
    compile_cmd.add_argument("-o", "--output", type=Path, required=True, help="folder for the generated C")
    compile_cmd.set_defaults(run=_cmd_compile)

    validate_cmd = commands.add_parser("validate", help="prove generated code bit-exact against TFLM")
    validate_cmd.add_argument("--target", default="host", choices=["host"], help="where the generated code runs")
    validate_cmd.add_argument("--model", type=Path, required=True, help="int8 .tflite model")
    validate_cmd.add_argument("--inputs", type=Path, help="samples as .npy (one input) or .npz")
    validate_cmd.add_argument("--samples", type=int, help="number of samples (random ones when --inputs is absent; default 10)")
    validate_cmd.add_argument("--seed", type=int, default=0, help="seed for random samples")
    validate_cmd.add_argument("--json", type=Path, help="write the report as JSON here")
    validate_cmd.set_defaults(run=_cmd_validate)
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
