"""The stack a firmware needs, bounded from the compiler's call graph instead of a fixed reserve.

gcc's -fcallgraph-info=su writes, beside each object file, the frame of every function it compiled and
the calls each one makes. The deepest chain from Reset_Handler, with the deepest exception handler on
top of it (its stacked frame included), is an upper bound on the stack in use; the firmware reserves
that plus a margin. A call graph the bound cannot follow (recursion, a frame of dynamic size, a call to
a function it has no frame for) gives no bound, and the board's fixed reserve stays."""

import re
from dataclasses import dataclass
from pathlib import Path

# An exception pushes 8 words, and 18 more for the FPU context (reserved even with lazy stacking), and
# may align the stack by one more word.
EXCEPTION_FRAME_BYTES = 4 * (8 + 18 + 1)
# The library functions the firmware calls, and an upper bound on the stack each uses (read from the
# disassembly of arm-none-eabi-gcc 12.2's newlib and libgcc: memcpy/memset push 5 registers, the
# 32-bit divisions 2; the 64-bit ones call __udivmoddi4, bounded generously).
LIBRARY_FRAME_BYTES = {"memcpy": 32, "memset": 32, "__aeabi_idiv": 16, "__aeabi_uidiv": 16, "__aeabi_idivmod": 16,
                       "__aeabi_uidivmod": 16, "__clzsi2": 16, "__aeabi_ldivmod": 128, "__aeabi_uldivmod": 128}
# The serial runtime's per-layer hooks, the only targets of the firmware's indirect calls.
INDIRECT_TARGETS = ("time_layer", "dump_layer")
MARGIN_BYTES = 64
NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
FRAME = re.compile(r"\\n(\d+) bytes \(([a-z,]+)\)")


@dataclass
class StackBound:
    bound: int          # bytes, deepest chain + deepest handler on top
    reserved: int       # what the linker reserves: the bound and a margin, in 8-byte steps
    deepest: list[str]  # the deepest chain from Reset_Handler


class Unbounded(Exception):
    """The call graph has something a static bound cannot follow."""


def read_call_graph(folder: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    """(frame bytes per function, callees per function) from the .ci files under `folder`. gcc names a
    static function file:name, in its node and in the calls to it, so equal static names stay apart."""
    frames, calls = {}, {}
    for path in sorted(folder.rglob("*.ci")):
        text = path.read_text()
        for title, label in NODE.findall(text):
            found = FRAME.search(label)
            if found is None:
                continue                # a declaration: the function is defined elsewhere
            if found.group(2) not in ("static", "dynamic,bounded"):
                raise Unbounded(f"{title} has a stack frame of dynamic size")
            frames[title] = int(found.group(1))
        for source, target in EDGE.findall(text):
            calls.setdefault(source, []).append(target)
    return frames, calls


def _depths(frames: dict[str, int], calls: dict[str, list[str]]):
    depth, chain = {}, {}

    def visit(function: str, path: tuple[str, ...]) -> int:
        if function in depth:
            return depth[function]
        if function in path:
            raise Unbounded(f"recursion through {function}")
        if function == "__indirect_call":
            targets = [f for f in frames if f.rsplit(":", 1)[-1] in INDIRECT_TARGETS]
            if not targets:
                raise Unbounded("an indirect call to no known hook")
            deepest = max(targets, key=lambda t: visit(t, path + (function,)))
            depth[function], chain[function] = depth[deepest], [deepest] + chain[deepest]
            return depth[function]
        if function not in frames:
            if function not in LIBRARY_FRAME_BYTES:
                raise Unbounded(f"a call to {function}, whose frame is unknown")
            depth[function], chain[function] = LIBRARY_FRAME_BYTES[function], []
            return depth[function]
        callees = calls.get(function, [])
        below = {callee: visit(callee, path + (function,)) for callee in callees}
        deepest = max(below, key=below.get) if below else None
        depth[function] = frames[function] + (below[deepest] if deepest else 0)
        chain[function] = [deepest] + chain[deepest] if deepest else []
        return depth[function]

    return visit, chain


def stack_bound(build_folder: Path) -> StackBound:
    """The bound for a firmware compiled with -fcallgraph-info=su into build_folder. Raises Unbounded."""
    frames, calls = read_call_graph(build_folder)
    if "Reset_Handler" not in frames:
        raise Unbounded("no call graph (was the firmware compiled with -fcallgraph-info=su?)")
    visit, chain = _depths(frames, calls)
    handlers = [f for f in frames if f.endswith("_Handler") and f != "Reset_Handler"] + ["tg_fault_report"]
    on_top = max((visit(handler, ()) for handler in handlers if handler in frames), default=0)
    bound = visit("Reset_Handler", ()) + on_top + EXCEPTION_FRAME_BYTES
    return StackBound(bound, (bound + MARGIN_BYTES + 7) // 8 * 8, ["Reset_Handler"] + chain["Reset_Handler"])
