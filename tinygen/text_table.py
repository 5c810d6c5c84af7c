"""Plain-text tables for the command line: cells two spaces apart, each column as wide as its widest cell."""


def table_lines(rows: list[tuple[str, ...]], right_aligned: set[int] = frozenset()) -> list[str]:
    """One line per row, the columns in `right_aligned` padded on the left, trailing spaces trimmed."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  ".join(cell.rjust(width) if column in right_aligned else cell.ljust(width)
                      for column, (cell, width) in enumerate(zip(row, widths))).rstrip()
            for row in rows]
