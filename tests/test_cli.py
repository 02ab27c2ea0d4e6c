"""The command line: help that teaches, exit codes, and messages instead of tracebacks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from sheetcrm.cli import Progress, main


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help", "--lang", "en"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in (
        "demo",
        "check",
        "tier",
        "plan",
        "messages",
        "report",
        "run",
        "settings",
        "addin",
    ):
        assert command in out
    assert "sheetcrm demo demo.xlsx" in out


def test_command_help_in_chinese_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["plan", "--help", "--lang", "zh"])
    out = capsys.readouterr().out
    assert "示例" in out and "--days" in out and "工作日" in out


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [["tier"], ["plan", "x.xlsx", "--days", "0"], ["tier", "x.xlsx", "--as-of", "yesterday"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*argv, "--lang", "en"])
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_missing_file_is_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", str(tmp_path / "nope.xlsx"), "--lang", "en"])
    err = capsys.readouterr().err
    assert code == 2
    assert "does not exist" in err and "Traceback" not in err


def test_not_a_workbook_is_refused_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "list.xlsx"
    fake.write_text("name,phone\n张三,13800000000\n", encoding="utf-8")
    code = main(["tier", str(fake), "--lang", "en"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert fake.read_text(encoding="utf-8").startswith("name,phone")  # untouched


def test_progress_stays_quiet_for_quick_work() -> None:
    stream = io.StringIO()
    progress = Progress(3, stream)
    progress("reading")
    progress("checking")
    assert stream.getvalue() == ""


def test_progress_reports_slow_work() -> None:
    stream = io.StringIO()
    progress = Progress(2, stream)
    progress.start -= 5  # pretend five seconds have passed
    progress("tiering")
    assert "[1/2] tiering" in stream.getvalue()


def test_debug_shows_the_traceback_without_changing_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope.xlsx")
    assert main(["check", missing, "--lang", "en"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main(["check", missing, "--lang", "en", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "does not exist" in err


def test_an_internal_error_exits_3_with_or_without_debug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("planted bug")

    monkeypatch.setattr("sheetcrm.jobs.run_job", broken)
    book = tmp_path / "book.xlsx"
    assert main(["demo", str(book), "--customers", "100", "--lang", "en"]) == 0
    for extra in ([], ["--debug"]):
        assert main(["check", str(book), "--lang", "en", *extra]) == 3
        err = capsys.readouterr().err
        assert "internal error" in err and "planted bug" in err
        assert ("Traceback" in err) == bool(extra)


@pytest.mark.parametrize("customers", ["20", "12801"])
def test_demo_sizes_it_cannot_make_are_refused(
    customers: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = tmp_path / "demo.xlsx"
    assert main(["demo", str(book), "--customers", customers, "--lang", "en"]) == 2
    assert "12,800" in capsys.readouterr().err and not book.exists()
