"""The ``sheetcrm`` command line: one subcommand per job, each read → engine → write.

Exit codes: 0 fine, 1 the data check found problems, 2 bad input or usage,
3 an internal error (a bug: please report it with ``--debug`` output).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import __version__
from .errors import SheetCRMError, UsageError, environment_error
from .i18n import Lang, only_lang, tr

if TYPE_CHECKING:
    from .book.file import FileBook

# Beyond this many exports in one folder (one .eml per customer…), the folder is named instead.
_LISTED_EXPORTS = 8

__all__ = ["main"]

EXAMPLES = {
    "demo": ("sheetcrm demo 客户名单.xlsx", "sheetcrm demo customers.xlsx --customers 5000"),
    "check": (
        "sheetcrm check 客户名单.xlsx",
        "sheetcrm check customers.xlsx --output checked.xlsx",
    ),
    "tier": (
        "sheetcrm tier 客户名单.xlsx --as-of 2026-06-30",
        "sheetcrm tier customers.xlsx -o tiered.xlsx",
    ),
    "plan": (
        "sheetcrm plan 客户名单.xlsx --days 60 --export 日历",
        "sheetcrm plan customers.xlsx --export calendars",
    ),
    "messages": (
        "sheetcrm messages 客户名单.xlsx --preview 3",
        "sheetcrm messages customers.xlsx --channels sms --export out",
    ),
    "report": (
        "sheetcrm report 客户名单.xlsx --html 报告.html",
        "sheetcrm report customers.xlsx --html report.html",
    ),
    "run": (
        "sheetcrm run 客户名单.xlsx",
        "sheetcrm run customers.xlsx --output done.xlsx --export out",
    ),
    "settings": ("sheetcrm settings 客户名单.xlsx", "sheetcrm settings customers.xlsx"),
}


class Progress:
    """Step-by-step progress on stderr: a live line on a terminal, plain lines after 1 s otherwise."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.done = 0
        self.tty = self.stream.isatty()
        self.pending: list[str] = []

    def __call__(self, step: str) -> None:
        self.done = min(self.done + 1, self.total)
        elapsed = time.perf_counter() - self.start
        if self.tty:
            filled = round(20 * self.done / self.total)
            bar = "█" * filled + "░" * (20 - filled)
            self.stream.write(f"\r{bar} {self.done}/{self.total} {step}… {elapsed:5.1f}s\033[K")
            self.stream.flush()
            return
        line = f"[{self.done}/{self.total}] {step}… ({elapsed:.1f}s)"
        if elapsed < 1.0:
            self.pending.append(line)  # quick work stays quiet
            return
        for earlier in self.pending:
            print(earlier, file=self.stream)
        self.pending.clear()
        print(line, file=self.stream)

    def finish(self) -> None:
        """End the live line."""
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            tr(
                f"'{text}' 不是日期，请写成 2026-03-05",
                f"'{text}' is not a date; write it as 2026-03-05",
            )
        ) from None


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= 366:
        raise argparse.ArgumentTypeError(
            tr(f"天数须在 1 到 366 之间，不是 '{text}'", f"days must be 1 to 366, not '{text}'")
        )
    return days


def _until(args: argparse.Namespace) -> dt.date | None:
    """The last due date that becomes a message: --until, or --days of the messages job."""
    until: dt.date | None = getattr(args, "until", None)
    if until is None and args.command == "messages" and getattr(args, "days", None):
        until = (args.as_of or dt.date.today()) + dt.timedelta(days=args.days)
    return until


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sheetcrm",
        description=tr(
            "sheetcrm：把团队的 Excel 客户名单变成 CRM —— 客户分级、跟进计划、个性化消息。"
            "数据留在你的工作簿里，其他内容（公式、格式、图表、宏）原样保留。",
            "sheetcrm turns the team's Excel customer list into a CRM: tiers, follow-up plans and "
            "personal messages. The data stays in your workbook; everything else in it (formulas, "
            "formatting, charts, macros) is kept as it was.",
        ),
        epilog=tr(
            "先试试：sheetcrm demo 演示.xlsx && sheetcrm run 演示.xlsx\n每个命令的说明：sheetcrm 命令 --help",
            "Try it: sheetcrm demo demo.xlsx && sheetcrm run demo.xlsx\nHelp on a command: sheetcrm COMMAND --help",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sheetcrm {__version__}")
    commands = _Commands(parser)
    _add_demo(commands)
    for name, texts in _JOBS.items():
        _add_job(commands.add(name, *texts), name)
    _add_addin(commands)
    _add_backups(commands)
    _add_columns(commands)
    return parser


class _Commands:
    """The subcommands, each with the options every command takes and an example in its help."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.common = argparse.ArgumentParser(add_help=False)
        self.common.add_argument(
            "--lang",
            choices=("zh", "en"),
            help=tr(
                "写入工作簿和显示的语言（默认：设置表，其次系统）",
                "language written and shown (default: the settings, then the locale)",
            ),
        )
        self.common.add_argument(
            "--debug",
            action="store_true",
            help=tr("出错时显示完整的技术信息", "show the full traceback on errors"),
        )
        self.sub = parser.add_subparsers(dest="command", metavar=tr("命令", "COMMAND"))

    def add(
        self, name: str, help_zh: str, help_en: str, desc_zh: str, desc_en: str
    ) -> argparse.ArgumentParser:
        """A subcommand with its help, description and example."""
        zh_example, en_example = EXAMPLES.get(name, ("", ""))
        return self.sub.add_parser(
            name,
            parents=[self.common],
            help=tr(help_zh, help_en),
            description=tr(desc_zh, desc_en),
            epilog=tr(f"示例：\n  {zh_example}", f"example:\n  {en_example}")
            if zh_example
            else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )


def _add_demo(commands: _Commands) -> None:
    demo = commands.add(
        "demo",
        "生成演示工作簿",
        "write the demo workbook",
        "生成一个真实感的演示客户名单（约 2000 位客户，含交易记录和常见的数据问题）。",
        "Write a realistic demo customer workbook (about 2,000 customers, with transactions "
        "and the mess real lists have).",
    )
    demo.add_argument("path", type=Path, help=tr("要写入的 .xlsx 文件", "the .xlsx file to write"))
    demo.add_argument(
        "--customers", type=int, default=2000, help=tr("客户数量", "number of customers")
    )
    demo.add_argument(
        "--seed", type=int, default=42, help=tr("随机种子（同一种子同一结果）", "random seed")
    )
    demo.add_argument(
        "--force", action="store_true", help=tr("覆盖已有文件", "overwrite an existing file")
    )


_JOBS = {  # name: (short help zh, en, description zh, en)
    "check": (
        "数据检查",
        "check the data",
        "检查手机号、邮箱、必填项、取值范围和重复客户，结果写入「数据检查」表。",
        "Check mobiles, emails, required fields, ranges and duplicates; the findings go to "
        "the 数据检查 sheet. Exit code 1 when problems are found.",
    ),
    "tier": (
        "客户分级",
        "tier customers",
        "按规则打分、RFM 分群、生命周期和流失预警，结果列追加到客户表，并写入「分级汇总」。",
        "Score by rules, RFM segments, lifecycle stage and churn risk; result columns are "
        "added to the customer table, with a summary sheet.",
    ),
    "plan": (
        "跟进计划",
        "build the follow-up plan",
        "按等级和阶段生成跟进计划（只排工作日，按销售容量分配），保留员工填写的状态和备注。",
        "Build the follow-up plan from cadences (working days only, within each rep's "
        "capacity), keeping the statuses and notes staff typed.",
    ),
    "messages": (
        "生成消息",
        "write outreach messages",
        "用模板为每位客户（或每条待跟进）生成短信和邮件，检查短信长度和退订规则。",
        "Render SMS and email texts from templates for each customer (or due follow-up), "
        "checking SMS length and opt-out rules.",
    ),
    "report": (
        "仪表盘",
        "update the dashboard",
        "计算关键指标，写入「仪表盘」（含图表）并追加一行「运行记录」。",
        "Compute KPIs, write the dashboard sheet with charts, and append to the run history.",
    ),
    "run": (
        "全部运行",
        "run every job",
        "依次运行：数据检查 → 客户分级 → 跟进计划 → 生成消息 → 仪表盘，只保存一次。",
        "check → tier → plan → messages → report in one go, saved once.",
    ),
    "settings": (
        "创建设置表",
        "create the settings sheet",
        "如果还没有，写入带默认规则的设置表「sheetcrm 设置」。",
        "Write the settings sheet 'sheetcrm 设置' with documented defaults if it is missing.",
    ),
}


def _add_job(job: argparse.ArgumentParser, name: str) -> None:
    """The options of a job on a workbook: the book and where to write, then the job's own."""
    job.add_argument(
        "book",
        type=Path,
        help=tr("客户工作簿（.xlsx / .xlsm）", "the customer workbook (.xlsx/.xlsm)"),
    )
    job.add_argument(
        "-o",
        "--output",
        type=Path,
        help=tr("写到另一个文件，原文件不动", "write a copy here and leave the original alone"),
    )
    job.add_argument(
        "--sheet", help=tr("客户表所在的工作表", "the sheet that holds the customer table")
    )
    job.add_argument(
        "--table", help=tr("客户表的 Excel 表格名称", "the name of the Excel Table to use")
    )
    job.add_argument(
        "--as-of",
        type=_date,
        help=tr("统计日期（默认今天）", "as-of date, YYYY-MM-DD (default: today)"),
    )
    job.add_argument(
        "--no-backup",
        action="store_true",
        help=tr(
            "原地保存时不在 .sheetcrm-backups 中留备份",
            "do not keep a backup in .sheetcrm-backups when saving in place",
        ),
    )
    job.add_argument(
        "--force",
        action="store_true",
        help=tr("只读的工作簿也覆盖", "replace the workbook even when it is read-only"),
    )
    for jobs, add in _JOB_OPTIONS:
        if name in jobs:
            add(job)


def _add_plan_options(job: argparse.ArgumentParser) -> None:
    job.add_argument(
        "--days",
        type=_days,
        help=tr("计划天数（默认 30，最多 366）", "plan horizon in days (default 30, up to 366)"),
    )
    job.add_argument(
        "--country",
        help=tr(
            "工作日历国家（默认 CN，含调休）",
            "working-day calendar country (default CN, with make-up days)",
        ),
    )


def _add_message_days_option(job: argparse.ArgumentParser) -> None:
    job.add_argument(
        "--days",
        type=_days,
        help=tr(
            "为今后 N 天内到期的跟进生成消息（默认只生成今天到期和逾期的）",
            "messages for touches due in the next N days (default: due today and overdue)",
        ),
    )


def _add_message_options(job: argparse.ArgumentParser) -> None:
    job.add_argument(
        "--until",
        type=_date,
        metavar="DATE",
        help=tr(
            "为此日期（含）前到期的跟进生成消息（默认今天）",
            "messages for touches due by this date, YYYY-MM-DD (default: today)",
        ),
    )
    job.add_argument(
        "--channels",
        default="sms,email",
        help=tr(
            "渠道，逗号分隔：sms,email,wechat,phone",
            "channels, comma separated: sms,email,wechat,phone",
        ),
    )
    job.add_argument(
        "--preview",
        type=int,
        default=0,
        metavar="N",
        help=tr("在终端显示前 N 条消息", "print the first N messages"),
    )


def _add_export_option(job: argparse.ArgumentParser) -> None:
    job.add_argument(
        "--export",
        type=Path,
        metavar="DIR",
        help=tr(
            "导出文件夹（日历 .ics、CSV、.eml）",
            "folder for exports (.ics calendars, CSV, .eml)",
        ),
    )


def _add_report_options(job: argparse.ArgumentParser) -> None:
    job.add_argument(
        "--html",
        type=Path,
        help=tr("另存一份 HTML 报告", "also write a self-contained HTML report"),
    )


_JOB_OPTIONS: tuple[tuple[tuple[str, ...], Callable[[argparse.ArgumentParser], None]], ...] = (
    (("plan", "run"), _add_plan_options),
    (("messages",), _add_message_days_option),
    (("messages", "run"), _add_message_options),
    (("plan", "messages", "run"), _add_export_option),
    (("report", "run"), _add_report_options),
)


def _add_addin(commands: _Commands) -> None:
    addin = commands.add(
        "addin",
        "Excel 加载项",
        "the Excel add-in",
        "构建或安装 Excel 加载项（功能区按钮和 CRM_ 工作表函数）。",
        "Build or install the Excel add-in (ribbon buttons and CRM_ worksheet functions).",
    )
    addin_sub = addin.add_subparsers(dest="action", metavar="build|install")
    build = addin_sub.add_parser(
        "build", parents=[commands.common], help=tr("构建 sheetcrm.xlam", "build sheetcrm.xlam")
    )
    build.add_argument(
        "-o", "--output", type=Path, help=tr("输出路径", "where to write the add-in")
    )
    addin_sub.add_parser(
        "install",
        parents=[commands.common],
        help=tr("安装到 Excel 启动文件夹", "install into Excel's start-up folder"),
    )


def _add_backups(commands: _Commands) -> None:
    """``backups`` and ``restore``: the copies sheetcrm keeps in .sheetcrm-backups."""
    listing = commands.add(
        "backups",
        "列出备份",
        "list a workbook's backups",
        "列出 .sheetcrm-backups 中该工作簿的备份：第一次的原件（永不覆盖）和最近几次运行前的版本。",
        "List the workbook's backups in .sheetcrm-backups: the original from before the first "
        "run (never overwritten) and the versions the last runs replaced.",
    )
    listing.add_argument("book", type=Path, help=tr("Excel 工作簿", "the Excel workbook"))
    restore = commands.add(
        "restore",
        "恢复备份",
        "put a backup back",
        "用一个备份替换工作簿（当前文件先备份）。",
        "Replace the workbook by one of its backups (the current file is backed up first).",
    )
    restore.add_argument("book", type=Path, help=tr("Excel 工作簿", "the Excel workbook"))
    restore.add_argument(
        "--from",
        dest="which",
        metavar=tr("哪个", "WHICH"),
        help=tr(
            "first 或备份的时间（如 2026-12-03-1015），默认最新的",
            "first, or a backup's time (e.g. 2026-12-03-1015); default the newest",
        ),
    )


def _add_columns(commands: _Commands) -> None:
    """``columns``: what sheetcrm understood of the list (reads only)."""
    columns = commands.add(
        "columns",
        "显示识别出的列",
        "show what the columns were understood as",
        "显示客户表所在的工作表、表头行、每个表头对应的角色及把握程度、缺少的角色和客户数。只读，不写入。",
        "Show the customer table's sheet, header row, each header's role and how sure, the "
        "roles not found and the number of customers. Reads only; writes nothing.",
    )
    columns.add_argument("book", type=Path, help=tr("Excel 工作簿", "the Excel workbook"))
    columns.add_argument("--sheet", help=tr("客户表所在工作表", "the customer sheet"))
    columns.add_argument("--table", help=tr("Excel 表格名称", "the Excel Table's name"))
    columns.add_argument("--json", action="store_true", help=tr("以 JSON 输出", "print JSON"))


def _pre_lang(argv: Sequence[str]) -> Lang | None:
    for index, arg in enumerate(argv):
        if arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
            return value if value in ("zh", "en") else None  # type: ignore[return-value]  # a Lang
        if arg == "--lang" and index + 1 < len(argv) and argv[index + 1] in ("zh", "en"):
            return argv[index + 1]  # type: ignore[return-value]  # "zh" or "en": a Lang
    return None


def _run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from .demo import write_demo

        if args.path.exists() and not args.force:
            raise SheetCRMError(
                tr(
                    f"{args.path} 已存在；加 --force 覆盖",
                    f"{args.path} exists; add --force to overwrite it",
                )
            )
        write_demo(args.path, customers=args.customers, seed=args.seed)
        print(
            tr(
                f"已写入演示工作簿 {args.path}（{args.customers} 位客户）。下一步：sheetcrm run {args.path}",
                f"wrote the demo workbook {args.path} ({args.customers} customers). Next: sheetcrm run {args.path}",
            )
        )
        return 0
    if args.command == "addin":
        from .addin import build_addin, install_addin

        if args.action == "build":
            path = build_addin(args.output)
            print(tr(f"已构建加载项 {path}", f"built the add-in {path}"))
            return 0
        if args.action == "install":
            print(install_addin())
            return 0
        raise SheetCRMError(tr("请选择 build 或 install", "choose build or install"))

    if args.command == "columns":
        return _columns(args)
    if args.command in ("backups", "restore"):
        return _backups(args)

    from .book.file import FileBook
    from .book.locks import hold_lock
    from .jobs import JOB_STAGES, JobOptions, run_job

    export_dir = getattr(args, "export", None)
    if export_dir and export_dir.exists() and not export_dir.is_dir():
        raise UsageError(
            tr(
                f"--export 要的是文件夹，而 {export_dir} 是一个文件；请换一个文件夹名",
                f"--export takes a folder, and {export_dir} is a file; name another folder",
            )
        )
    channels = tuple(
        c.strip() for c in getattr(args, "channels", "sms,email").split(",") if c.strip()
    )
    progress = Progress(len(JOB_STAGES[args.command]))
    options = JobOptions(
        sheet=args.sheet,
        table=args.table,
        as_of=args.as_of,
        days=getattr(args, "days", None),
        until=_until(args),
        country=getattr(args, "country", None),
        channels=channels,
        export_dir=export_dir,
        html=getattr(args, "html", None),
        preview=getattr(args, "preview", 0),
        lang=args.lang,
        progress=progress,
    )
    # In place, our lock is held from the read to the save, so two runs never interleave.
    in_place = args.output is None and args.book.is_file()
    with hold_lock(args.book) if in_place else contextlib.nullcontext():
        book = FileBook(args.book, args.output, backup=not args.no_backup, force=args.force)
        try:
            report = run_job(args.command, book, options)
        finally:
            progress.finish()
    for line in report.lines:
        print(line, file=sys.stderr)
    if report.preview:
        print(report.preview)
    target = args.output or args.book
    print(tr(f"已保存 {target}", f"saved {target}"), file=sys.stderr)
    _say_housekeeping(book)
    _say_exports(report.exports)
    return report.exit_code


def _columns(args: argparse.Namespace) -> int:
    """``sheetcrm columns``: print what was understood of the customer list."""
    import json

    from .understood import understand

    found = understand(args.book, sheet=args.sheet, table=args.table)
    if args.json:
        print(json.dumps(found.as_json(), ensure_ascii=False))
    else:
        print("\n".join(found.lines()))
    return 0


def _backups(args: argparse.Namespace) -> int:
    """``sheetcrm backups`` and ``sheetcrm restore``."""
    from .book.backups import list_backups, restore

    if args.command == "restore":
        chosen, kept = restore(args.book, args.which)
        print(
            tr(
                f"已用备份 {chosen.which}（{chosen.path}）恢复 {args.book}",
                f"restored {args.book} from backup {chosen.which} ({chosen.path})",
            ),
            file=sys.stderr,
        )
        if kept is not None:
            print(
                tr(
                    f"恢复前的文件已备份为 {kept.path}",
                    f"the file it replaced is backed up as {kept.path}",
                ),
                file=sys.stderr,
            )
        return 0
    backups = list_backups(args.book)
    if not backups:
        print(tr(f"{args.book} 还没有备份", f"{args.book} has no backups yet"))
    for backup in backups:
        print(
            f"{backup.which:<20} {backup.when:%Y-%m-%d %H:%M:%S} {_size(backup.size):>10}  {backup.path}"
        )
    return 0


def _size(size: int) -> str:
    """A size in bytes as people read it."""
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} KB"


def _say_housekeeping(book: FileBook) -> None:
    """Say where the backup went, which old backups went, and which litter was removed."""
    if book.kept is not None:
        print(tr(f"备份：{book.kept.path}", f"backup: {book.kept.path}"), file=sys.stderr)
        if note := book.kept.adopted_note():
            print(note, file=sys.stderr)
        if book.kept.removed:
            count, freed = len(book.kept.removed), _size(book.kept.freed)
            print(
                tr(
                    f"删除了 {count} 个较旧的备份，释放 {freed}",
                    f"removed {count} older backups, freeing {freed}",
                ),
                file=sys.stderr,
            )
    for path, size in book.cleaned:
        print(
            tr(
                f"删除了上次中断的运行留下的临时文件 {path.name}（{_size(size)}）",
                f"removed {path.name} ({_size(size)}), left by an interrupted run",
            ),
            file=sys.stderr,
        )


def _say_exports(paths: Sequence[Path]) -> None:
    """Name each exported file, or count them per folder when a folder holds many."""
    per_folder = Counter(path.parent for path in paths)
    for path in paths:
        if per_folder[path.parent] <= _LISTED_EXPORTS:
            print(tr(f"已导出 {path}", f"exported {path}"), file=sys.stderr)
    for folder, count in per_folder.items():
        if count > _LISTED_EXPORTS:
            print(
                tr(f"已导出 {count} 个文件到 {folder}", f"exported {count} files to {folder}"),
                file=sys.stderr,
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # --lang (else the environment) for this command only: a caller's language is left as it was.
    with only_lang(_pre_lang(argv)):
        return _main(argv)


def _main(argv: list[str]) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _run(args)
    except SheetCRMError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"sheetcrm: {tr('错误', 'error')}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(
            tr("已取消，工作簿未改动", "cancelled; the workbook was not changed"), file=sys.stderr
        )
        return 130
    except Exception as exc:  # a bug: say so plainly; the traceback only when asked for
        if args.debug:
            traceback.print_exc()
        refusal = environment_error(exc) if isinstance(exc, OSError) else None
        if refusal is not None:  # the file system's refusal is the user's to fix, not a bug
            print(f"sheetcrm: {tr('错误', 'error')}: {refusal}", file=sys.stderr)
            return refusal.exit_code
        print(
            tr(
                f"sheetcrm: 内部错误（{type(exc).__name__}: {exc}）。工作簿未改动。请加 --debug 重新运行并报告此问题。",
                f"sheetcrm: internal error ({type(exc).__name__}: {exc}). The workbook was not changed. "
                "Run again with --debug and report this.",
            ),
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
