"""Static memory plan: every activation buffer gets a fixed offset in one arena.

Lifetimes (first write, last read) over the execution order go in, offsets come out. Buffers whose
lifetimes overlap never overlap in memory, except within a unit: buffers placed together at fixed
displacements from each other, where a layer writes its output over the input that dies there (the
compiler knows when the kernel allows it). Placement is greedy first-fit of whole units; a few
orderings are tried and the smallest arena wins (deterministically).
"""

from dataclasses import dataclass

ALIGNMENT = 16


@dataclass
class PlannedBuffer:
    name: str
    size: int
    first: int          # index of the first layer that writes it
    last: int           # index of the last layer that reads it
    offset: int = -1
    unit: int | None = None     # buffers of one unit are placed together (None: a unit of its own)
    displacement: int = 0       # bytes from the unit's first byte (a multiple of ALIGNMENT)

    def lives_with(self, other: "PlannedBuffer") -> bool:
        return self.first <= other.last and other.first <= self.last


def align(value: int) -> int:
    return (value + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _units(buffers: list[PlannedBuffer]) -> list[list[int]]:
    """The buffers' indices by unit, in order of each unit's first buffer."""
    units: dict = {}
    for i, buf in enumerate(buffers):
        units.setdefault(("unit", buf.unit) if buf.unit is not None else ("own", i), []).append(i)
    return list(units.values())


def _first_fit(buffers: list[PlannedBuffer], units: list[list[int]], order: list[int]) -> tuple[int, list[int]]:
    """Each unit in turn at the lowest base where none of its buffers meets a placed buffer it lives with."""
    offsets = [-1] * len(buffers)
    placed: list[int] = []
    arena = 0
    for u in order:
        blocked = []        # bases [low, high) at which one of the unit's buffers would meet a placed one
        for i in units[u]:
            buf = buffers[i]
            blocked += [(offsets[j] - buf.displacement - buf.size + 1, align(offsets[j] + buffers[j].size) - buf.displacement)
                        for j in placed if buf.lives_with(buffers[j])]
        base = 0
        for low, high in sorted(blocked):
            if low > base:
                break
            base = max(base, high)
        for i in units[u]:
            offsets[i] = base + buffers[i].displacement
            arena = max(arena, offsets[i] + buffers[i].size)
            placed.append(i)
    return align(arena), offsets


def plan(buffers: list[PlannedBuffer]) -> int:
    """Sets each buffer's offset; returns the arena size in bytes (a multiple of ALIGNMENT)."""
    if not buffers:
        return 0
    units = _units(buffers)
    size = lambda u: max(buffers[i].displacement + buffers[i].size for i in units[u])
    first = lambda u: min(buffers[i].first for i in units[u])
    span = lambda u: max(buffers[i].last for i in units[u]) - first(u)
    indices = range(len(units))
    orderings = [
        sorted(indices, key=lambda u: (-size(u), first(u), u)),
        sorted(indices, key=lambda u: (first(u), -size(u), u)),
        sorted(indices, key=lambda u: (-span(u), -size(u), u)),
        sorted(indices, key=lambda u: (size(u), first(u), u)),
        sorted(indices, key=lambda u: (-first(u), -size(u), u)),
    ]
    arena, offsets = min((_first_fit(buffers, units, order) for order in orderings), key=lambda result: result[0])
    for buf, offset in zip(buffers, offsets):
        buf.offset = offset
    return arena


def describe(buffers: list[PlannedBuffer], arena: int) -> str:
    """A printable plan: one line per buffer, with its lifetime and place."""
    lines = [f"arena {arena} bytes, alignment {ALIGNMENT}"]
    for buf in sorted(buffers, key=lambda b: (b.offset, b.first)):
        lines.append(f"  [{buf.offset:>7} .. {buf.offset + buf.size:>7})  layers {buf.first:>3}..{buf.last:<3} {buf.name}")
    return "\n".join(lines)


@dataclass
class Peak:
    position: int                       # the layer (execution order) at which the arena is fullest
    live: list[PlannedBuffer]           # the buffers alive there, largest first
    bytes: int                          # the bytes they cover (buffers written over their inputs share some)


def covered_bytes(buffers: list[PlannedBuffer]) -> int:
    """The bytes the buffers' ranges cover together."""
    covered, end = 0, 0
    for buf in sorted(buffers, key=lambda b: b.offset):
        covered += max(0, buf.offset + buf.size - max(buf.offset, end))
        end = max(end, buf.offset + buf.size)
    return covered


def peak(buffers: list[PlannedBuffer]) -> Peak | None:
    """The layer where the live buffers cover the most bytes, and what lives there: what to shrink for a
    smaller arena (which holds at least that; the rest is what the placement could not fit around it)."""
    if not buffers:
        return None
    positions = range(min(b.first for b in buffers), max(b.last for b in buffers) + 1)
    live_at = {p: [b for b in buffers if b.first <= p <= b.last] for p in positions}
    position = max(positions, key=lambda p: (covered_bytes(live_at[p]), -p))
    live = sorted(live_at[position], key=lambda b: (-b.size, b.name))
    return Peak(position, live, covered_bytes(live))
