"""From a grid of cell values to a typed customer table, one job per module.

Every book (a file read with calamine, a workbook open in Excel or LibreOffice) gives plain
grids (lists of rows of :data:`~sheetcrm.book.base.CellValue`) and shares these steps:

- :mod:`.locate` — which Table or sheet holds the customer list (``read_customer_table``);
- :mod:`.header_row` — the header row, its texts and the role of each (``match_roles``);
- :mod:`.column_mapping` — the settings' ``[columns]`` block read into role → header overrides;
- :mod:`.grid_rows` — the rows below the header, blank rows noted, the raw cells;
- :mod:`.column_types` — each role's column typed, a problem per cell that cannot be read;
- :mod:`.split_name` — a name over two columns (姓 + 名) joined;
- :mod:`.not_customers` — totals, repeated headers and section titles left out;
- :mod:`.typed_table` — those steps together for one table (``build_table``);
- :mod:`.customer_table` — the ``CustomerTable`` (name required, an id made where none);
- :mod:`.transactions` — the transactions sheet.
"""

from __future__ import annotations

__all__: list[str] = []
