"""One validation report as a self-contained HTML page (styles inline, charts as PNG data URIs, no
script and no network), drawn from the report's JSON form so `tinygen report RUN.json` can make it
again later."""

import base64
import html

from . import plots
from .report import REPORT_VERSION

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { display: inline-block; padding: 0.2em 0.7em; color: white; font-weight: bold; border-radius: 0.3em; }
.pass { background: #2e7d32; } .fail { background: #c62828; }
img { max-width: 100%; } .note { color: #555; font-size: 0.9em; }
"""


def render(report: dict) -> str:
    """The page for one validation report, or for a matrix of them (validate over models x boards)."""
    version = report.get("report_version")
    if version != REPORT_VERSION:
        raise ValueError(f"report_version {version}, this tinygen reads {REPORT_VERSION}")
    if "matrix" in report:
        return _page(f"{len(report['matrix'])} runs", _matrix(report["matrix"]))
    title = _title(report)
    return _page(title, _run(report, title))


def _title(report: dict) -> str:
    return f"{report['model']} on {report.get('board') or report['target']}"


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_text(title)}</title>"
            f"<style>{STYLE}</style></head>\n<body>\n<h1>tinygen validation: {_text(title)}</h1>\n{body}\n</body></html>\n")


def _run(report: dict, title: str) -> str:
    sections = [_summary(report), _comparison(report), _timing(report, title), _memory(report),
                _accuracy(report, title), _energy(report), _gates(report)]
    return "\n".join(section for section in sections if section)


def _matrix(runs: list[dict]) -> str:
    """A table of every run, then each run's own report (a run that could not report: its error)."""
    rows, parts = [], []
    for index, run in enumerate(runs):
        verdict = "ERROR" if "error" in run else ("BIT-EXACT" if run["bit_exact"] else "MISMATCH")
        gates = run.get("gates") or []
        rows.append([index, run["model"], run["board"], verdict, f"{sum(g['passed'] for g in gates)}/{len(gates)}"])
        body = f"<pre>{_text(run['error'])}</pre>" if "error" in run else _run(run, _title(run))
        parts.append(f"<h2>Run {index}: {_text(_title(run))}</h2>{body}")
    return _table(["#", "model", "board", "verdict", "gates passed"], rows, numeric_from=5) + "\n".join(parts)


def _gates(report: dict) -> str:
    if not report.get("gates"):
        return ""
    rows = [[gate["gate"], "pass" if gate["passed"] else "FAIL", gate["detail"]] for gate in report["gates"]]
    return "<h2>Budget gates</h2>" + _table(["gate", "verdict", "detail"], rows, numeric_from=3)


def _text(value) -> str:
    return html.escape(str(value))


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else _text(value)


def _table(header: list[str], rows: list[list], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{_text(cell)}</th>" for cell in header)
    lines = ["<tr>" + "".join(f"<td class=\"number\">{_number(cell)}</td>" if i >= numeric_from and not isinstance(cell, str)
                              else f"<td>{_text(cell)}</td>" for i, cell in enumerate(row)) + "</tr>" for row in rows]
    return f"<table><tr>{head}</tr>{''.join(lines)}</table>"


def _image(figure, alt: str) -> str:
    data = base64.b64encode(plots.png_bytes(figure)).decode("ascii")
    return f"<img alt=\"{_text(alt)}\" src=\"data:image/png;base64,{data}\">"


def _summary(report: dict) -> str:
    verdict = ("<span class=\"verdict pass\">BIT-EXACT</span>" if report["bit_exact"]
               else "<span class=\"verdict fail\">MISMATCH</span>")
    rows = [["model", report["model"]], ["board", report.get("board") or "(host)"], ["target", report["target"]],
            ["samples", f"{report['samples']} ({report['inputs']})"], ["MACs", report["macs"]], ["layers", report["layers"]]]
    if report.get("emulated_core"):
        rows.append(["ran on", report["emulated_core"]])
    note = f"<p class=\"note\">{_text(report['note'])}</p>" if report.get("note") else ""
    return f"<p>{verdict}</p>{_table(['', ''], rows)}{note}"


def _comparison(report: dict) -> str:
    rows = [["output values that differ", report["mismatched_outputs"]],
            ["samples that differ", report["mismatched_samples"]], ["largest |difference|", report["max_abs_diff"]]]
    text = "<h2>Bit-exactness against TFLM</h2>" + _table(["", ""], rows)
    layer = report.get("first_diverging_layer")
    if layer:
        text += "<p>First layer whose output differs from TFLM's:</p>" + _table(
            ["position", "op", "layer", "tensor", "differing bytes"],
            [[layer["position"], layer["op"], layer["layer"], layer["tensor"], layer["differing_bytes"]]])
    return text


def _timing(report: dict, title: str) -> str:
    timing = report.get("timing")
    if not timing:
        return ""
    unit = timing["unit"] + (" (exact, QEMU -icount)" if timing["exact"] else "")
    total = sum(row["count"] for row in timing["per_layer"]) or 1
    rows = [[row["position"], row["op"], row["kernel"] or "(alias)", row["count"], f"{100 * row['count'] / total:.1f} %"]
            for row in timing["per_layer"]]
    return (f"<h2>Latency per layer</h2><p>Per inference: min {_number(timing['min'])} / median "
            f"{_number(timing['median'])} / max {_number(timing['max'])} {_text(unit)}</p>"
            + _image(plots.per_layer_figure(timing, title), "work per layer")
            + _table(["#", "op", "kernel", timing["unit"], "share"], rows, numeric_from=3))


def _memory(report: dict) -> str:
    memory = report["memory"]
    rows = [[name, memory[key]] for name, key in (("arena", "arena_bytes"), ("weights", "weights_bytes"),
                                                    ("TFLM arena", "tflm_arena_bytes"), ("stack high-water", "stack_bytes"))
            if memory.get(key) is not None]
    text = "<h2>Memory</h2>" + _table(["", "bytes"], rows)
    if memory.get("flash_bytes"):
        text += _image(plots.memory_figure(memory), "flash and RAM by part")
        for region in ("flash", "ram"):
            parts = memory[f"{region}_bytes"]
            text += _table([f"{region} part", "bytes"], [[part, size] for part, size in parts.items()])
    return text


def _accuracy(report: dict, title: str) -> str:
    accuracy = report.get("accuracy")
    if not accuracy:
        return ""
    rows = []
    for source, score in accuracy["scores"].items():
        rows += [[source, name, value] for name, value in score.items()] if isinstance(score, dict) \
            else [[source, "accuracy", score]]
    text = f"<h2>Accuracy ({_text(accuracy['kind'])}, {accuracy['labels']} labels)</h2>"
    text += _table(["source", "measure", "value"], rows, numeric_from=2)
    if accuracy.get("confusion_matrix") is not None:
        text += _image(plots.confusion_figure(accuracy["confusion_matrix"], title), "confusion matrix")
    return text


def _energy(report: dict) -> str:
    energy, power = report.get("energy"), report.get("power")
    if not energy and not power:
        return ""
    text = "<h2>Energy</h2>"
    if energy:
        estimate = f"~{energy['uj_estimate']:.3f} uJ per inference" if energy["uj_estimate"] is not None else "none"
        text += f"<p>Estimate: {_text(estimate)} <span class=\"note\">({_text(energy['assumptions'])})</span></p>"
    if power:
        spread = power["energy_uj"]
        text += _image(plots.power_figure(power), "power trace with the inference windows shaded")
        rows = [["inferences", len(power["inferences"])], ["window method", power["window_method"]],
                ["energy per inference, mean (uJ)", spread["mean"]], ["min / max (uJ)", f"{spread['min']:.4g} / {spread['max']:.4g}"],
                ["spread", f"{spread['spread']:.2%}"], ["mean current during inference (mA)", power["mean_current_ma"]],
                ["peak current (mA)", power["peak_current_ma"]], ["voltage (V)", power["voltage_v"]]]
        if power.get("idle_current_ua") is not None:
            rows.append(["idle current (uA)", power["idle_current_ua"]])
        if power.get("measured_over_estimate"):
            rows.append(["measured / estimated energy", power["measured_over_estimate"]])
        if power.get("battery"):
            battery = power["battery"]
            rows.append([f"battery life ({battery['capacity_mah']:g} mAh, {battery['inferences_per_s']:g}/s)",
                         f"{battery['hours']:,.0f} h"])
        text += _table(["measured", ""], rows)
        text += _table(["#", "start (s)", "duration (ms)", "energy (uJ)", "mean (mA)", "peak (mA)"],
                       [[i, p["start_s"], p["duration_s"] * 1e3, p["energy_uj"], p["mean_current_ma"], p["peak_current_ma"]]
                        for i, p in enumerate(power["inferences"])])
    return text
