"""The writer's shared-strings table: inflated and split only as far as an index asks (header
cells of a full sheet need the first few of millions), in any order, the same texts as a full
split, whatever the pieces the table comes in."""

from __future__ import annotations

from collections.abc import Callable, Generator

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.book.row_scan import SharedStrings

texts = st.text(alphabet="ab 客户<&>\u3000", max_size=6)


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _item(text: str) -> str:
    """An item: empty, plain, or (longer texts) as two rich-text runs."""
    if not text:
        return "<si/>"
    if len(text) <= 2:
        return f"<si><t>{_escaped(text)}</t></si>"
    head, tail = _escaped(text[:2]), _escaped(text[2:])
    return f'<si><r><t>{head}</t></r><r><t xml:space="preserve">{tail}</t></r></si>'


def _table(items: list[str]) -> bytes:
    """A sharedStrings part, one item per text."""
    body = "".join(map(_item, items))
    return f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{body}</sst>'.encode()


def _pieces(
    table: bytes, size: int, given: list[int] | None = None
) -> Callable[[], Generator[bytes, None, None]]:
    """The table as a part's stream gives it: in pieces of ``size`` bytes (each counted)."""

    def stream() -> Generator[bytes, None, None]:
        for at in range(0, len(table), size):
            if given is not None:
                given.append(at)
            yield table[at : at + size]

    return stream


@given(
    st.lists(texts, max_size=12),
    st.lists(st.integers(-2, 14), max_size=10),
    st.integers(1, 80),
)
@settings(max_examples=200, deadline=None)
def test_items_asked_in_any_order_read_as_their_texts(
    items: list[str], asked: list[int], size: int
) -> None:
    # Pieces cut anywhere: an item, a tag, an escape split between two.
    shared = SharedStrings(_pieces(_table(items), size))
    for index in asked:
        expected = items[index] if 0 <= index < len(items) else ""
        assert shared.text(index) == expected
    assert len(shared.items) <= max([0, *(i + 1 for i in asked)])  # no further than asked


def test_a_header_cell_splits_only_the_first_items() -> None:
    given: list[int] = []
    shared = SharedStrings(_pieces(_table([f"客户{n}" for n in range(10_000)]), 4096, given))
    assert shared.text(3) == "客户3"
    assert len(shared.items) == 4 and given == [0]  # the rest never inflated
    assert shared.text(9_999) == "客户9999" and shared.text(10_000) == ""


def test_no_table_reads_blank() -> None:
    assert SharedStrings(None).text(0) == ""
