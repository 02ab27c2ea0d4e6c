"""The shared-strings table read lazily: any string asked for, in any order, as split whole."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.book.row_scan import SharedStrings

_TEXTS = st.text(st.sampled_from("a 客户&<编号"), max_size=4)


def _table(texts: list[str]) -> bytes:
    """A sharedStrings part of these texts, some as rich text runs."""
    items = []
    for n, text in enumerate(texts):
        escaped = text.replace("&", "&amp;").replace("<", "&lt;")
        if n % 3 == 2:  # rich text: the runs' texts joined
            items.append(f'<si><r><t>{escaped}</t></r><r><t xml:space="preserve">!</t></r></si>')
        else:
            items.append(f"<si><t>{escaped}</t></si>")
    body = "".join(items)
    return f'<sst xmlns="x" count="{len(texts)}">{body}</sst>'.encode()


@settings(max_examples=150, deadline=None)
@given(st.lists(_TEXTS, max_size=12), st.lists(st.integers(-2, 14), max_size=10))
def test_any_string_asked_for_reads_as_written(texts: list[str], asked: list[int]) -> None:
    shared = SharedStrings(_table(texts))
    for index in asked:
        expected = ""
        if 0 <= index < len(texts):
            expected = texts[index] + ("!" if index % 3 == 2 else "")
        assert shared.text(index) == expected


def test_a_book_without_shared_strings_reads_every_index_as_blank() -> None:
    shared = SharedStrings(None)
    assert shared.text(0) == "" and shared.text(5) == ""
