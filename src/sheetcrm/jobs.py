"""The jobs, each one read → engine → write over a :class:`~sheetcrm.book.base.Book`.

The command line, the Excel ribbon buttons and the LibreOffice toolbar all
call :func:`run_job`, so every door gives the same result. A :class:`Run`
reads each input once (customer table, settings, transactions, the previous
plan) and computes each engine result once, so ``run`` (all jobs in a row)
costs little more than its slowest job.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _background, _memory, costs, messages, schedule, settings_check, tiering
from .book.base import Book, CellValue, CustomerTable, Problem, SheetSpec
from .check import CheckResult, Problems, check_customers, kind_counts, name_keys, near_names
from .check.values import without_implausible_amounts
from .errors import InputError, TemplateError, UsageError
from .exports.messages import export_all, preview
from .exports.plan import write_csv, write_ics
from .i18n import Lang, Text, both, chosen_lang, detect_lang, tr, use_lang
from .roles import CUSTOMER_ROLES
from .settings import (
    SETTINGS_SHEET,
    GeneralSettings,
    Settings,
    filled_settings_sheet,
    parse_general,
    settings_sheet_spec,
)
from .sheets import tiers as tier_sheets
from .sheets.carry import Carried
from .sheets.check import CHECK_SHEET, problem_notes, problems_sheet, staff_columns
from .sheets.messages import (
    MESSAGES_SHEET,
    message_notes,
    messages_sheet,
    sent_messages,
    sheet_channels,
    sheet_not_sent,
    template_fields,
)
from .sheets.plan import PLAN_SHEET, parse_plan_sheet, plan_sheet
from .sheets.row_limit import within_rows
from .sheets.templates import TEMPLATES_SHEET, parse_templates_sheet, templates_sheet_spec
from .table.column_mapping import COLUMNS_BLOCK, column_overrides
from .table.transactions import read_transactions_grid
from .tiering.churn import rule_text as churn_rule
from .tuning import Tuning

__all__ = ["JOBS", "JOB_STAGES", "STAGES", "JobOptions", "JobReport", "run_job"]

JOBS = ("check", "tier", "plan", "messages", "report", "run", "settings")

# The stages a person sees in the progress display, and each job's, in the order they come:
# the display's totals are these counts (a test runs every job and compares).
STAGES = {
    "read": ("读取客户表", "reading the customer table"),
    "check": ("检查数据", "checking the data"),
    "tier": ("客户分级", "tiering customers"),
    "tier_columns": ("写入分级结果列", "writing the tier columns"),
    "plan": ("生成跟进计划", "building the follow-up plan"),
    "messages": ("生成消息", "writing messages"),
    "report": ("生成仪表盘", "building the dashboard"),
    "save": ("保存工作簿", "saving the workbook"),
}
JOB_STAGES: dict[str, tuple[str, ...]] = {
    "settings": ("save",),
    "check": ("read", "check", "save"),
    "tier": ("read", "tier", "tier_columns", "save"),
    "plan": ("read", "tier", "plan", "save"),
    "messages": ("read", "tier", "messages", "save"),
    "report": ("read", "tier", "check", "report", "save"),
    "run": ("read", "tier", "tier_columns", "plan", "messages", "check", "report", "save"),
}

TRANSACTION_SHEETS = ("交易记录", "交易明细", "订单", "订单记录", "Transactions", "Orders")

# Rows left out of the table (totals, section titles, repeated headers) are notes: listed in
# 数据检查 for whoever wonders where a row went, but nothing to fix, so they alone never make
# check or run exit 1, nor count on the dashboard as data problems.
NOTE_KINDS = frozenset({"skipped"})


@dataclass
class JobOptions:
    """What the user asked for on top of the workbook's own settings."""

    sheet: str | None = None
    table: str | None = None
    as_of: dt.date | None = None
    days: int | None = None
    until: dt.date | None = None  # messages for touches due by then (default: as_of)
    country: str | None = None
    channels: tuple[str, ...] = ("sms", "email")
    export_dir: Path | None = None
    html: Path | None = None
    preview: int = 0
    lang: Lang | None = None  # what is written and said: else the settings' language
    progress: Callable[[str], None] = field(default=lambda step: None)
    tuning: Tuning = field(default_factory=Tuning)  # from how many customers: workers


@dataclass
class JobReport:
    """What a job did, for the person who ran it."""

    job: str
    lines: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    exports: list[Path] = field(default_factory=list)
    problems: int = 0
    preview: str = ""

    @property
    def exit_code(self) -> int:
        """0 when fine, 1 when the data check found problems (notes such as rows left out are
        not problems: see NOTE_KINDS)."""
        return 1 if self.job in ("check", "run") and self.problems else 0


class _LetGo:
    """Stands for a result a run let go of (see :meth:`Run.let_go`)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attribute: str) -> Any:
        raise RuntimeError(f"Run.{self.name} was let go once its sheet was written")


class Run:
    """One job run on one book: inputs read once, engine results computed once."""

    def __init__(self, book: Book, options: JobOptions) -> None:
        self.book = book
        self.options = options
        self.report = JobReport(job="")
        self.input_problems: list[Problem] = []
        self.near_names: _background.Pending[pd.Series] | None = None  # begin_name_matching
        # The console follows --lang, then the settings, then the locale: read when first said.
        self.chosen = options.lang or chosen_lang()
        self.exports: list[Callable[[], list[Path]]] = []  # written once the book is saved

    def step(self, stage: str) -> None:
        """Tell the progress display which stage starts, in the language of whoever ran the job."""
        zh, en = STAGES[stage]
        with use_lang(self.ui_lang):
            self.options.progress(tr(zh, en))
        _memory.give_back()  # what the last stage let go of is not held through the next

    def export(self, write: Callable[[], list[Path]]) -> None:
        """Write files beside the book after it is saved: never beside a save that was refused."""
        self.exports.append(write)

    def write_long_sheet(self, spec: SheetSpec, rest: Text) -> None:
        """Write one of our sheets that may outgrow a worksheet: cut to Excel's rows, and said
        on the console (``rest``: where the rows left out can be found)."""
        spec, cut = within_rows(spec, self.options.tuning.sheet_rows, rest)
        if cut is not None:
            with use_lang(self.ui_lang):
                self.report.lines.append(f"  !! {cut}")
        self.book.write_sheet(spec)

    def let_go(self, name: str) -> None:
        """Drop a result once its sheet is written and what else needs it is kept small (a full
        sheet's 数据检查 holds ≈ 0.4 GB): using it again is a bug, said at once."""
        self.__dict__[name] = _LetGo(name)

    def say(self, zh: str, en: str) -> None:
        """Add a line to the report, in the language of whoever ran the job."""
        with use_lang(self.ui_lang):
            self.report.lines.append(tr(zh, en))

    # ---- inputs -------------------------------------------------------------
    def previous_sheet(
        self, name: str, worth_reading: Callable[[list[list[CellValue]]], bool] | None = None
    ) -> list[list[CellValue]] | None:
        """One of our sheets as the last run and staff left it, None before the first run;
        only its first rows when they show nothing of staff's worth reading the rest for (a
        数据检查 of 850,000 problems is read back only when staff added a column to it)."""
        if name not in self.book.sheet_names():
            return None
        if worth_reading is not None:
            head = [list(row) for row in self.book.customer_source().head(name)]
            if not worth_reading(head):
                return head
        return self.book.read_grid(name)

    def _own_sheet_cells(self, name: str) -> list[list[CellValue]] | np.ndarray | None:
        """One of our sheets' cells, None before the first run; a 2-D array from a book that
        reads one (a file: no Python list per row of a 650,000-row plan)."""
        if name not in self.book.sheet_names():
            return None
        read_array = getattr(self.book, "read_array", None)
        return self.book.read_grid(name) if read_array is None else read_array(name)

    @cached_property
    def messages_before(self) -> Carried:
        """What staff left in the previous 消息 sheet: statuses and their own columns."""
        return message_notes(self._own_sheet_cells(MESSAGES_SHEET))

    @cached_property
    def settings_grid(self) -> list[list[CellValue]] | None:
        """The settings sheet's cells as read, or None where the book has none yet."""
        if SETTINGS_SHEET in self.book.sheet_names():
            return [list(row) for row in self.book.read_grid(SETTINGS_SHEET)]
        return None

    @cached_property
    def settings(self) -> Settings:
        """The settings sheet, or the documented defaults where the book has none yet."""
        return Settings(self.settings_grid)

    @cached_property
    def general(self) -> GeneralSettings:
        """The [general] settings block."""
        return parse_general(self.settings)

    @cached_property
    def as_of(self) -> dt.date:
        """The date every result refers to: --as-of, else the settings, else today."""
        return self.options.as_of or self.general.as_of or dt.date.today()

    @cached_property
    def table(self) -> CustomerTable:
        """The customer table."""
        self.step("read")
        table = self.book.read_customers(
            sheet=self.options.sheet,
            table=self.options.table,
            overrides=column_overrides(self.settings),
            leave_out=tier_sheets.old_result_headers(),
        )
        settings_check.check_against_table(self.settings, table)
        return without_implausible_amounts(tier_sheets.forget_old_results(table))

    @cached_property
    def transactions(self) -> pd.DataFrame | None:
        """The transactions sheet, typed, or None when the workbook has none."""
        for name in self.book.sheet_names():
            if name.strip() in TRANSACTION_SHEETS:
                frame, problems = read_transactions_grid(
                    self.book.read_grid(name), name, date1904=self.table.date1904
                )
                self.input_problems.extend(problems)
                return frame
        return None

    # ---- engine results -----------------------------------------------------
    def begin_name_matching(self) -> None:
        """Begin the check's slowest part, matching near-identical names: in a worker process
        on a big table, while this one goes on with other work (else the check does it)."""
        if self.near_names is None:
            self.near_names = _background.start(
                near_names,
                name_keys(self.table.frame),
                elsewhere=len(self.table.frame) >= self.options.tuning.background_rows,
                redo=False,  # not redone here: it would fail here too
            )

    @cached_property
    def check(self) -> CheckResult:
        """The data check over the customer table."""
        table = self.table
        self.step("check")
        similar, unchecked = self.similar_names()
        result = check_customers(
            table, transactions=self.transactions, today=self.as_of, similar=similar
        )
        return dataclasses.replace(result, problems=Problems.joined([unchecked, result.problems]))

    def similar_names(self) -> tuple[pd.Series | None, list[Problem]]:
        """What begin_name_matching found (None: not begun); when its worker failed, none,
        a console line and a problem row that say the names were not checked."""
        if self.near_names is None:
            return None, []
        try:
            return self.near_names.result(), []
        except _background.WorkerError as failure:
            zh, en = f"近似重名未检查：{failure}", f"near-identical names not checked: {failure}"
            self.say(zh, en)
            suggestion = tr(
                "其余检查已完成；可在内存更多的电脑上重新运行",
                "the other checks ran; run again on a computer with more memory",
            )
            unchecked = Problem(
                self.table.sheet, None, None, None, tr(zh, en), suggestion, "unchecked"
            )
            return pd.Series(dtype="int64"), [unchecked]

    @property
    def problems(self) -> Problems:
        """Everything wrong with the input: unreadable values and the data check's findings."""
        return Problems.joined([self.table.problems, self.input_problems, self.check.problems])

    @property
    def problems_to_fix(self) -> Problems:
        """The problems without the notes (rows left out): what the exit code counts."""
        return self.problems.without_kinds(NOTE_KINDS)

    @cached_property
    def kinds_to_fix(self) -> Counter[str]:
        """How many problems of each kind there are to fix (console and dashboard)."""
        return kind_counts(self.problems_to_fix)

    @cached_property
    def messages_by_channel(self) -> pd.DataFrame | None:
        """This run's messages, else the 消息 sheet's, as one shown channel label per message."""
        if "messages" in self.__dict__:
            shown = [messages.channel_label(c) for c in self.messages.messages["channel"]]
            return pd.DataFrame({"channel": shown})
        if MESSAGES_SHEET not in self.book.sheet_names():
            return None
        from_sheet = sheet_channels(self.book.read_grid(MESSAGES_SHEET))
        return None if from_sheet is None else pd.DataFrame({"channel": from_sheet})

    @cached_property
    def messages_not_sent(self) -> list[str]:
        """Why each message that cannot be sent is not: this run's, else the 消息 sheet's."""
        if "messages" in self.__dict__:
            return [str(reason) for reason in self.messages.skipped["reason"]]
        if MESSAGES_SHEET not in self.book.sheet_names():
            return []
        return sheet_not_sent(self.book.read_grid(MESSAGES_SHEET))

    @cached_property
    def tier_settings(self) -> Any:
        """Tiering rules and thresholds, validated."""
        return tiering.parse_tier_settings(
            self.settings, self.table.roles, preset=self.general.preset, lang=self.lang
        )

    @cached_property
    def previous_tiers(self) -> pd.Series | None:
        """The tier column the previous run wrote, if any, named as this run names tiers (a
        switch of language compares like with like)."""
        previous = tier_sheets.previous_tiers(self.table)
        return None if previous is None else tiering.previous_labels(previous, self.tier_settings)

    @cached_property
    def tiers(self) -> pd.DataFrame:
        """Tier, score, RFM, segment, stage and churn risk per customer."""
        table = self.table  # first: reading it is a step of its own
        if not set(tiering.PURCHASE_ROLES) & set(table.roles):
            raise InputError(
                tr(
                    "无法分级：没有累计金额、购买次数或购买日期列，分级结果将毫无依据。"
                    "请添加其中一列，或在设置表 [columns] 中指定对应的表头",
                    "cannot tier: no amount, order count or purchase date column, so tiers would "
                    "mean nothing. Add one, or map its header in the settings [columns] block",
                ),
                sheet=table.sheet,
                row=table.header_row,
            )
        self.step("tier")
        return tiering.tier_customers(
            table.frame,
            self.tier_settings,
            self.as_of,
            transactions=self.transactions,
            previous=self.previous_tiers,
            labels=self.table.roles,
        )

    @cached_property
    def existing_plan(self) -> pd.DataFrame | None:
        """The follow-up plan sheet as staff left it, or None."""
        cells = self._own_sheet_cells(PLAN_SHEET)
        if cells is None:
            return None
        existing = parse_plan_sheet(cells, PLAN_SHEET)
        del cells  # a full plan's cells, one object each: ≈ 0.5 GB given back before planning
        _memory.give_back()
        return existing

    @cached_property
    def plan(self) -> schedule.PlanResult:
        """The follow-up plan, merged with what staff recorded in the previous one."""
        tiers = self.tiers  # first: tiering is a step of its own
        self.step("plan")
        plan = schedule.build_plan(
            self.table.frame,
            tiers,
            schedule.parse_plan_settings(self.settings),
            self.as_of,
            existing=self.existing_plan,
            horizon_days=self.options.days or self.general.horizon_days,
            country=self.options.country or self.general.country,
            channel_limits=schedule.capacity.parse_channel_limits(self.settings),
        )
        # Merged into this plan, the previous one is let go (650,000 rows on a full sheet):
        # from now on `touches` reads this one.
        self.__dict__.pop("existing_plan", None)
        return plan

    @property
    def touches(self) -> pd.DataFrame | None:
        """Follow-up touches: this run's plan if it made one, else the plan sheet's."""
        if "plan" in self.__dict__:
            return self.plan.touches
        return self.existing_plan

    @cached_property
    def messages(self) -> messages.MessagesResult:
        """Rendered outreach messages (one per due touch, or per customer)."""
        tiers, touches = self.tiers, self.touches  # first: steps of their own
        self.step("messages")
        templates = None
        if TEMPLATES_SHEET in self.book.sheet_names():
            templates = parse_templates_sheet(self.book.read_grid(TEMPLATES_SHEET), TEMPLATES_SHEET)
        result = messages.compose_messages(
            self.table.frame,
            tiers,
            messages.parse_message_settings(self.settings, sheet_templates=templates),
            plan=touches,
            extra=template_fields(self.table),
            lang=self.lang,
            as_of=self.as_of,
            channels=self.options.channels,
            until=self.options.until,
            sent=sent_messages(self.messages_before),
        )
        _refuse_unfilled(result, self.table)
        return result

    @cached_property
    def lang(self) -> Lang:
        """The language of what is written into the workbook: --lang, else the settings (zh)."""
        return self.options.lang or ("en" if self.general.language == "en" else "zh")

    @cached_property
    def ui_lang(self) -> Lang:
        """The language of the console: a chosen one, else the settings sheet's, else the locale."""
        if self.chosen:
            return self.chosen
        return self.lang if self.settings.found else detect_lang()


# Template fields made from one role: empty for every customer when no column carries it.
_MADE_FROM = {
    "amount_text": "amount",
    "first_purchase_text": "first_purchase",
    "last_purchase_text": "last_purchase",
    "mobile_masked": "mobile",
}


def _refuse_unfilled(result: messages.MessagesResult, table: CustomerTable) -> None:
    """Stop when a template writes a field no column carries: every message of it would have a
    hole (fields a template guards with ``if`` or ``default`` are never missing)."""
    roles = {info.role for info in CUSTOMER_ROLES}
    sent = set(result.messages["template"])  # a template one text of which is whole
    holes = result.skipped[result.skipped["missing_fields"].astype(bool)]
    for template, group in holes.groupby("template", sort=True):
        if template in sent:
            continue
        fields = [set(str(text).split("、")) for text in group["missing_fields"]]
        for name in sorted(set.intersection(*fields)):
            role = _MADE_FROM.get(name, name)
            if role in roles and role not in table.roles:
                raise TemplateError(
                    tr(
                        f"需要字段 {name}，但客户表没有对应的列（{costs.cost(role)}）。"
                        "请在模板中去掉它或加上 default，或添加这一列",
                        f"needs the field {name}, which no column carries ({costs.cost(role)}). "
                        "Remove it from the template or give it a default, or add the column",
                    ),
                    template=str(template),
                    field=name,
                )


# ---- steps: each writes one job's results into the book ---------------------
# Steps run inside ``use_lang(run.lang)`` (what goes into the workbook follows the
# workbook's language); ``run.say`` reports in the language of whoever ran the job.


def _understand(run: Run) -> None:
    """Say first which columns the job uses and what each missing one costs."""
    with use_lang(run.lang):  # the values' problem texts go into the workbook
        table = run.table
    with use_lang(run.ui_lang):
        run.report.lines.extend(costs.understanding_lines(table))


def _write_first_settings(run: Run) -> None:
    """On a book's first run, the settings sheet with the documented defaults it runs with and
    the [columns] block as detected; on a later run, that block only if staff left it empty."""
    columns = COLUMNS_BLOCK.key
    with use_lang(run.lang):
        detected = {columns: costs.block_rows(run.table)} if "table" in run.__dict__ else {}
    if run.settings_grid is not None:
        filled = (
            filled_settings_sheet(run.settings_grid, columns, detected[columns])
            if detected
            else None
        )
        if filled:
            run.book.write_sheet(filled)
            run.say(
                "已在设置表 [columns] 中填入识别到的列，可在 Excel 中改正",
                "filled the settings [columns] block with the columns detected; correct it in Excel",
            )
        return
    with use_lang(run.lang):
        run.book.write_sheet(settings_sheet_spec(detected))
    run.report.sheets.append(SETTINGS_SHEET)
    run.say(
        f"已创建设置表「{SETTINGS_SHEET}」（默认规则，可在 Excel 中修改）",
        f"created the settings sheet '{SETTINGS_SHEET}' with default rules (edit it in Excel)",
    )


def _step_settings(run: Run) -> None:
    if SETTINGS_SHEET not in run.report.sheets:
        run.say(
            f"设置表「{SETTINGS_SHEET}」已存在，未改动",
            f"settings sheet '{SETTINGS_SHEET}' exists; left as is",
        )
    if TEMPLATES_SHEET not in run.book.sheet_names():
        run.book.write_sheet(templates_sheet_spec())
        run.report.sheets.append(TEMPLATES_SHEET)
        run.say(
            f"已创建消息模板表「{TEMPLATES_SHEET}」，在其中添加的模板优先于内置模板",
            f"created the templates sheet '{TEMPLATES_SHEET}'; templates added there override the bundled ones",
        )


def _step_check(run: Run) -> None:
    problems, to_fix = run.problems, run.problems_to_fix
    run.report.problems = len(to_fix)
    kinds = run.kinds_to_fix
    staff = problem_notes(run.previous_sheet(CHECK_SHEET, staff_columns))
    ids = run.table.frame.get("id")
    run.write_long_sheet(
        problems_sheet(problems, ids, run.table.sheet, staff),
        Text(
            "改正已列出的问题后再运行，其余问题随之列出",
            "fix the problems listed and run again: the others are listed then",
        ),
    )
    run.report.sheets.append(CHECK_SHEET)
    run.say(
        f"数据检查：{len(run.table.frame)} 位客户，发现 {len(to_fix)} 个问题",
        f"data check: {len(run.table.frame)} customers, {len(to_fix)} problems found",
    )
    if len(problems) > len(to_fix):
        notes = len(problems) - len(to_fix)
        run.say(
            f"  另有 {notes} 行不是客户（合计、重复表头或分组标题），已跳过，见「{CHECK_SHEET}」",
            f"  {notes} rows are not customers (totals, repeated headers or section titles) "
            f"and were skipped; see '{CHECK_SHEET}'",
        )
    for kind, count in kinds.most_common():
        run.report.lines.append(f"  {kind}: {count}")
    run.let_go("check")  # the dashboard needs only the counts


def _step_tier_columns(run: Run) -> None:
    if not run.report.columns:  # once: the run job writes them before the check
        tiers = run.tiers
        run.step("tier_columns")
        columns = tier_sheets.result_columns(tiers)
        run.book.write_columns(run.table, columns)
        run.report.columns.extend(column.header for column in columns)


def _step_tier(run: Run) -> None:
    _step_tier_columns(run)
    tiers = run.tiers
    before = run.previous_sheet(tier_sheets.SUMMARY_SHEET)
    staff = tier_sheets.summary_notes(before, run.tier_settings.tiers)
    run.book.write_sheet(
        tier_sheets.summary_sheet(run.table.frame, tiers, previous=run.previous_tiers, staff=staff)
    )
    run.report.sheets.append(tier_sheets.SUMMARY_SHEET)
    counts = tiers["tier"].value_counts()
    run.say("客户分级：", "tiers: ")
    run.report.lines[-1] += ", ".join(f"{tier} {count}" for tier, count in counts.items())
    flagged = int(tiers["churn_risk"].sum())
    share = flagged / len(tiers) if len(tiers) else 0.0
    with use_lang(run.ui_lang):
        rule = churn_rule()
    run.say(
        f"流失预警：{flagged} 位（{share:.0%}）——{rule}",
        f"churn risk: {flagged} customers ({share:.0%}): {rule}",
    )


def _step_plan(run: Run) -> None:
    plan = run.plan
    run.write_long_sheet(
        plan_sheet(plan),
        Text(
            "用 --export 导出的 followups.csv 含全部跟进",
            "followups.csv written with --export holds every touch",
        ),
    )
    if run.options.export_dir:
        folder = run.options.export_dir
        run.export(lambda: write_ics(plan.touches, folder))
        run.export(lambda: [write_csv(plan.touches, folder / "followups.csv")])
    run.report.sheets.append(PLAN_SHEET)
    open_touches = int((plan.touches["status"] == schedule.STATUS_OPEN).sum())
    run.say(
        f"跟进计划：{open_touches} 条待跟进，{plan.beyond_capacity} 条超出容量",
        f"follow-up plan: {open_touches} open touches, {plan.beyond_capacity} beyond capacity",
    )
    with use_lang(run.ui_lang):
        run.report.lines.extend(f"  ! {warning}" for warning in plan.warnings)


def _refuse_demo_identity(run: Run) -> None:
    """Before any work: nothing is exported in the demo company's name."""
    if run.options.export_dir:
        demo = messages.demo_identity(run.settings)
        if demo is not None:
            raise demo


def _step_messages(run: Run) -> None:
    result = run.messages
    run.write_long_sheet(
        messages_sheet(result, staff=run.messages_before),
        Text(
            "用 --export 导出的文件含全部消息", "the files written with --export hold every message"
        ),
    )
    if run.options.export_dir:
        folder = run.options.export_dir
        run.export(lambda: export_all(result, folder))
    if run.options.preview:
        run.report.preview = preview(result.messages, run.options.preview)
    run.report.sheets.append(MESSAGES_SHEET)
    channels = result.messages["channel"].value_counts()
    ready = both(lambda: _counted(channels, messages.channel_label, tr("、", ", ")))
    reasons = result.skipped["reason"].value_counts()  # each a Text: shown in either language
    why = both(lambda: _counted(reasons, str, tr("；", "; ")))
    run.say(
        f"消息：{len(result.messages)} 条待发送"
        + (f"（{ready.zh}）" if len(channels) else "")
        + f"，{len(result.skipped)} 条不发送"
        + (f"（{why.zh}）" if len(reasons) else ""),
        f"messages: {len(result.messages)} ready"
        + (f" ({ready.en})" if len(channels) else "")
        + f", {len(result.skipped)} not sent"
        + (f" ({why.en})" if len(reasons) else ""),
    )
    run.messages_by_channel, run.messages_not_sent  # noqa: B018 - what the dashboard needs
    run.let_go("messages")
    if result.already_sent:
        run.say(
            f"  {result.already_sent} 条已在「{MESSAGES_SHEET}」中标为已发送，未再生成",
            f"  {result.already_sent} already marked sent in '{MESSAGES_SHEET}'; not made again",
        )
    with use_lang(run.ui_lang):  # made again: the console's language may not be the book's
        demo = messages.demo_identity(run.settings)
    if demo is not None:
        run.report.lines.append(f"  !! {demo}")


def _counted(counts: pd.Series, label: Callable[[Any], str], separator: str) -> str:
    """Counts as "label count" pairs, in the language in force."""
    return separator.join(f"{label(key)} {count}" for key, count in counts.items())


def _step_report(run: Run) -> None:
    # The dashboard pulls in chart drawing; only this step needs it.
    from .exports.html import html_report
    from .report.history import history_row
    from .report.kpis import compute_kpis
    from .sheets.dashboard import DASHBOARD_SHEET, dashboard_sheet
    from .sheets.history import HISTORY_SHEET, earlier_rows, history_sheet

    frame, tiers, problems = run.table.frame, run.tiers, run.kinds_to_fix  # steps of their own
    run.step("report")
    history_grid = earlier_rows(run.book)
    kpis = compute_kpis(
        frame,
        tiers,
        problems=problems,
        plan=run.touches,
        messages=run.messages_by_channel,
        not_sent=run.messages_not_sent,
        previous_tiers=run.previous_tiers,
        as_of=run.as_of,
    )
    history = history_sheet(history_grid, history_row(kpis, run.as_of, dt.datetime.now()))
    run.book.write_sheet(history)
    run.book.write_sheet(dashboard_sheet(kpis, history.rows, run.lang))
    if run.options.html:
        html, rows = run.options.html, history.rows
        run.export(lambda: [html_report(kpis, rows, html)])
    run.report.sheets += [DASHBOARD_SHEET, HISTORY_SHEET]
    run.say("仪表盘已更新", "dashboard updated")


def _step_begin(run: Run) -> None:
    """The run job's slow work first: worker processes take their share while this one goes on.

    The sheets are then written in the usual order, from results already at hand.
    """
    run.begin_name_matching()
    _step_tier_columns(run)  # a worker writes them into the customer sheet
    run.plan, run.messages  # noqa: B018 - made here meanwhile


_STEPS: dict[str, tuple[Callable[[Run], None], ...]] = {
    "settings": (_step_settings,),
    "check": (_step_check,),
    "tier": (_step_tier,),
    "plan": (_step_plan,),
    "messages": (_step_messages,),
    "report": (_step_report,),
    "run": (_step_begin, _step_check, _step_tier, _step_plan, _step_messages, _step_report),
}


def run_job(name: str, book: Book, options: JobOptions | None = None) -> JobReport:
    """Run a job (check, tier, plan, messages, report, run, settings) on a book and save it."""
    if name not in _STEPS:
        raise UsageError(
            tr(
                f"没有名为 '{name}' 的任务；可用：{', '.join(JOBS)}",
                f"there is no job '{name}'; choose one of {', '.join(JOBS)}",
            )
        )
    run = Run(book, options or JobOptions())
    run.report.job = name
    run.settings  # noqa: B018 - read before the first run writes the sheet of defaults
    with use_lang(run.lang):  # its warnings go into 数据检查 too
        warnings = settings_check.check_settings(run.settings)  # refuses a mistake before work
        if name in ("messages", "run"):
            _refuse_demo_identity(run)
    run.input_problems += warnings
    run.report.lines += [f"  ! {warning.problem}" for warning in warnings]
    if name != "settings":
        _understand(run)
    _write_first_settings(run)
    with use_lang(run.lang):
        for step in _STEPS[name]:
            step(run)
    run.step("save")
    book.save()
    if run.exports and run.options.export_dir:
        run.options.export_dir.mkdir(parents=True, exist_ok=True)
    with use_lang(run.lang):
        for write in run.exports:
            run.report.exports += write()
    return run.report
