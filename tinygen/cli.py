"""The `tinygen` command line."""

import json
import os
import sys
import tempfile
from pathlib import Path

from .cli_parser import build_parser
from .errors import TinygenError

EXIT_GATE_FAILED = 4


def _cmd_compile(args) -> int:
    from .compiler import Target, compile_model
    from .compiler.codegen import render, write_atomically
    from .output_paths import check_output_folder
    from .report import layer_table

    check_output_folder(args.output, [args.model])
    target = Target()
    if args.board:
        from .boards import get_board
        from .compiler.variants import board_target

        target = board_target(get_board(args.board))
    model = compile_model(args.model, sparse=not args.no_sparse, target=target)
    files = render(model)
    write_atomically(files, args.output, [args.model])
    print(layer_table(model))
    print(f"wrote {len(files)} files to {args.output}")
    return 0


def _cmd_validate(args) -> int:
    from .output_paths import check_output_file, check_plots_folder, write_file_atomically

    boards, models = args.board or [], args.model or []
    for path, option in ((args.json, "--json"), (args.html, "--html")):
        if path:
            check_output_file(path, option)
    if len(boards) > 1 or len(models) > 1:
        return _validate_matrix(args, boards, models)
    args.board = boards[0] if boards else None
    target = args.target or ("qemu" if args.board else "host")
    model = models[0] if models else None
    if model is None:
        if not args.board:
            raise TinygenError("give --model (or --board to validate the default model)")
        from .default_model import DEFAULT_MODEL_PATH as model
    from .validation.gates import check as check_gates

    budgets = _budgets(args)      # a bad baseline stops the run before it starts
    if target == "host":
        from .validation.host import validate_host

        if args.power_trace:
            raise TinygenError("--power-trace needs a board run: give --board (and --target device for a real board)")

        report = validate_host(model, args.inputs, args.samples, args.seed)
    else:
        if not args.board:
            raise TinygenError(f"--target {target} needs --board")
        from .validation.firmware import validate_firmware

        plots_dir = args.plots or (args.json.parent / f"{args.json.stem}_plots" if args.json else None)
        if plots_dir is not None:
            check_plots_folder(plots_dir)
        port = args.coordinator if target == "labgrid" else args.port
        report = validate_firmware(args.board, model, target, port, args.inputs, args.samples, args.seed,
                                   args.float_model, plots_dir, power_trace=args.power_trace,
                                   trace_options=_trace_options(args), firmware=args.firmware)
    if budgets.any:
        report.gates = check_gates(report.to_json(), budgets)
    print(report.summary())
    if args.json:
        write_file_atomically(args.json, (json.dumps(report.to_json(), indent=2) + "\n").encode())
    if args.html:
        from .validation.html_report import render

        write_file_atomically(args.html, render(report.to_json()).encode())
        print(f"wrote {args.html}")
    if not report.bit_exact:
        return 1
    return EXIT_GATE_FAILED if report.gates and not all(gate.passed for gate in report.gates) else 0


# validate's options that every run of a matrix shares, forwarded as given
MATRIX_OPTIONS = ("target", "port", "coordinator", "inputs", "samples", "seed", "float_model", "max_instructions",
                  "max_cycles", "max_ram", "max_flash", "max_energy_uj", "min_accuracy", "baseline", "max_regression")


def _validate_matrix(args, boards: list[str], models: list[Path]) -> int:
    from .default_model import DEFAULT_MODEL_PATH
    from .output_paths import write_file_atomically
    from .validation.matrix import run_matrix, summary

    if not boards or args.target == "host":
        raise TinygenError("a matrix of runs needs boards (--board, repeated as needed); host validation takes one model")
    if args.power_trace or args.firmware or args.plots:
        raise TinygenError("--power-trace, --firmware and --plots belong to one run, not to a matrix")
    options = []
    for name in MATRIX_OPTIONS:
        value = getattr(args, name)
        if value is not None and not (name == "max_regression" and args.baseline is None):
            options += [f"--{name.replace('_', '-')}", str(value)]
    combined = run_matrix(boards, [str(m) for m in models or [DEFAULT_MODEL_PATH]], options,
                          labgrid=args.target == "labgrid", jobs=args.jobs)
    print(summary(combined))
    if args.json:
        write_file_atomically(args.json, (json.dumps(combined, indent=2) + "\n").encode())
    if args.html:
        from .validation.html_report import render

        write_file_atomically(args.html, render(combined).encode())
        print(f"wrote {args.html}")
    codes = {run.get("exit_code") for run in combined["matrix"]}
    return 0 if codes == {0} else EXIT_GATE_FAILED if codes == {0, EXIT_GATE_FAILED} or codes == {EXIT_GATE_FAILED} else 1


def _budgets(args):
    """The budget gates the command line asks for; the baseline report read (and checked) first."""
    from .validation.gates import Budgets

    baseline = None
    if args.baseline is not None:
        try:
            baseline = json.loads(Path(args.baseline).read_text())
        except (OSError, ValueError) as exc:
            raise TinygenError(f"--baseline {args.baseline} is not a readable validation report: {exc}") from None
    return Budgets(args.max_instructions, args.max_cycles, args.max_ram, args.max_flash, args.max_energy_uj,
                   args.min_accuracy, baseline, args.max_regression)


def _cmd_report(args) -> int:
    from .output_paths import check_output_file, write_file_atomically
    from .validation.html_report import render

    check_output_file(args.output, "-o")
    try:
        report = json.loads(Path(args.run).read_text())
        page = render(report)
    except FileNotFoundError:
        raise TinygenError(f"{args.run} does not exist") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise TinygenError(f"{args.run} is not a tinygen validation report (validate --json): {exc!r}") from None
    write_file_atomically(args.output, page.encode())
    print(f"wrote {args.output}")
    return 0


def _trace_options(args):
    from .power.measurement import TraceOptions

    return TraceOptions(supply_v=args.supply_v, marker=args.marker, inferences=args.inferences, period_s=args.period,
                        battery_mah=args.battery_mah, inferences_per_s=args.rate)


def _cmd_power(args) -> int:
    from dataclasses import asdict

    from .boards import get_board
    from .output_paths import check_output_file, write_file_atomically
    from .power.calibration import calibrate
    from .power.measurement import compare_with_estimate, describe, measure_trace

    board = get_board(args.board) if args.board else None
    if args.calibrate and board is None:
        raise TinygenError("--calibrate needs --board: the calibration is stored for one board")
    if args.json:
        check_output_file(args.json, "--json")
    if args.capture:
        from .power.capture import capture

        check_output_file(args.trace, "the trace")
        if args.trace.exists():
            raise TinygenError(f"{args.trace} exists: record into a new file (tinygen does not overwrite traces)")
        supply = args.supply_v or (board.data["power"].get("voltage_v") if board else None) or 3.0
        capture(args.capture, args.seconds, args.trace, supply)
        print(f"recorded {args.trace} ({args.seconds:g} s from the {args.capture})")
    measured = measure_trace(args.trace, _trace_options(args), board)
    if board is not None and args.instructions:
        from .validation.energy import energy_estimate

        compare_with_estimate(measured, energy_estimate(board, args.instructions).uj_estimate)
    print(describe(measured))
    if args.calibrate:
        calibration = calibrate(board.id, measured)
        print(f"calibrated {board.id}: {calibration.run_current_ma:.4f} mA at {calibration.voltage_v:.3f} V from "
              f"{calibration.trace}; later estimates use it")
    if args.json:
        write_file_atomically(args.json, (json.dumps(asdict(measured), indent=2) + "\n").encode())
    return 0


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


def _cmd_boards(args) -> int:
    from .boards import boards_table

    print(boards_table())
    return 0


def _cmd_build(args) -> int:
    from .boards import get_board
    from .firmware.build import build, compile_for, describe
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
        check_output_folder(out_dir, [model] + ([args.input] if args.input else []))
        compiled = compile_for(board, model, sparse=not args.no_sparse)
        result = build(board, compiled, out_dir, args.input, sample, use_registry=args.pio_registry,
                       app=args.app, extra_files=extra_files)
    print(describe(result))
    return 0


def _cmd_bench(args) -> int:
    from .bench.benchmark import bench, describe, table
    from .output_paths import check_output_file, write_file_atomically

    if args.json:
        check_output_file(args.json, "--json")
    if not args.models:
        from .default_model import DEFAULT_MODEL_PATH

        args.models = [DEFAULT_MODEL_PATH]
    results = []
    for model in args.models:
        results.append(bench(model, args.board, args.samples))
        print(describe(results[-1]))
    if len(results) > 1:
        print(table(results))
    if args.json:
        data = {"board": args.board, "models": [result.to_json() for result in results]}
        write_file_atomically(args.json, (json.dumps(data, indent=2) + "\n").encode())
    return 0 if all(result.bit_exact for result in results) else 1


def _cmd_hil(args) -> int:
    from .boards import get_board
    from .compiler.codegen import write_atomically
    from .default_model import DEFAULT_MODEL_PATH
    from .hil.labgrid_files import labgrid_files

    board = get_board(args.board)
    for gate in args.gate:
        if not gate.startswith("--"):
            raise TinygenError(f"--gate {gate}: give a validate option, e.g. --gate=--max-flash=64k")
    files = labgrid_files(board, args.model, args.gate, args.flash, args.samples, args.firmware)
    model = args.model or str(DEFAULT_MODEL_PATH)
    if args.renode:
        from .hil.renode_suite import renode_files

        files.update({f"renode/{name}": text for name, text in renode_files(board, Path(model)).items()})
    for ci in args.ci:
        from .hil import ci_workflows

        write = {"github": ci_workflows.github_workflow, "gitlab": ci_workflows.gitlab_pipeline}[ci]
        name = {"github": "github-workflow.yml", "gitlab": "gitlab-ci.yml"}[ci]
        files[name] = write([board.id], model, args.gate, args.runner_label)
    write_atomically(files, args.out, [Path(args.model)] if args.model else [])
    for name in files:
        print(f"wrote {args.out / name}")
    if args.ci:
        print("move github-workflow.yml to .github/workflows/, gitlab-ci.yml to .gitlab-ci.yml; set TINYGEN_PIP")
    return 0


def _cmd_flash(args) -> int:
    from .boards import get_board
    from .targets.flash import flash, list_probes, plan_flash

    if args.list_probes:
        print(list_probes())
        return 0
    if not args.board:
        raise TinygenError("tinygen flash needs --board BOARD (or --list-probes)")
    board = get_board(args.board)
    plan = plan_flash(board, args.dir or Path("firmware_out") / board.id, args.tool, args.probe)
    print(plan.describe())
    if not args.dry_run:
        flash(plan)
        print(f"flashed {board.id}")
    return 0


COMMANDS = {"compile": _cmd_compile, "validate": _cmd_validate, "boards": _cmd_boards, "build": _cmd_build,
            "optimize": _cmd_optimize, "bench": _cmd_bench, "power": _cmd_power, "report": _cmd_report, "hil": _cmd_hil,
            "flash": _cmd_flash}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except TinygenError as exc:
        print(f"tinygen: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tinygen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:     # the reader went away (`| head`): stop quietly, as shell tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
