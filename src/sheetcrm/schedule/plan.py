"""Planning the follow-ups (跟进计划): the touches the cadences ask for, merged with staff's.

Frames in, frames out: customers and tiers (columns named by role), the previous plan as a
touch frame (columns named by key, see :data:`TOUCH_COLUMNS`), and the new touch frame. The
sheet itself (headers, layout, reading it back) is :mod:`sheetcrm.sheets.plan`.

Touch ids (:mod:`.touch_ids`) hash the *nominal* due date, so levelling never changes an
id. One-off steps (no repeat) are matched by customer and step instead, so a win-back call
planned "two working days after the risk is seen" is planned once, not anew every day.

Re-running. Rows are matched by id; rows without one that came from the plan (they
have a step: staff deleted the 编号 column) get theirs back first, by customer, step (so
channel) and due date (:func:`_adopt_ids`). Staff fields (status, done date, notes and
any columns staff added) are kept; the plan's own fields are refreshed. Done
and skipped rows are history and stay as they are; open rows the new plan no
longer contains are marked 已取消 with the reason (never deleted); rows staff
typed in by hand (no id) are kept untouched, and their open ones count against
their rep's capacity that day. Open rows due beyond the new
horizon are left alone.

A one-off step whose date passed less than :data:`CATCH_UP_WORKDAYS` working
days ago (say the welcome SMS of a customer who bought last Friday) is still
planned, for today; older ones are not.

The last completed contact is the latest done date of the customer's 已完成
touches *on the step's channel*, else the last purchase, else the first
purchase. Per channel, because a weekly call must not push the quarterly visit
out for ever; a done call still pushes the next call, whichever tier asked for it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..contacts import normalise_phones
from ..i18n import Text, tr
from .cadence import CHURN, NEW, NEW_CUSTOMER_DAYS, CadenceStep, match_groups
from .capacity import DEFAULT_CAPACITY, UNATTENDED, Rep, assign_owners, level
from .columns import (
    date_ordinals,
    flags,
    numpy_texts,
    ordinal_dates,
    role_column,
    text_column,
    trimmed,
)
from .ordering import sort_order, text_rank
from .plan_settings import PlanSettings
from .statuses import STATUS_CANCELLED, STATUS_DONE, STATUS_OPEN
from .touch_ids import ID_NUMBERS, hashed_ids, hashed_numbers, id_numbers, id_texts, text_hash
from .workdays import CalendarDays, WorkCalendar

__all__ = [
    "CATCH_UP_WORKDAYS",
    "TOUCH_COLUMNS",
    "PlanResult",
    "build_plan",
    "empty_touches",
    "work_calendar",
]

_TEXT_CHANNELS = ("sms", "wechat")  # channels that reach a mobile only
# The plan's own fields of a touch, refreshed on a re-run (staff's are kept).
_ENGINE_FIELDS: tuple[str, ...] = ("customer_id", "customer", "contact", "owner", "channel")
_ENGINE_FIELDS += ("due", "purpose", "template", "priority", "step")
CATCH_UP_WORKDAYS = 5  # one-off steps missed by up to this many working days are still planned
TOUCH_COLUMNS = (  # the touch frame's columns (the engine contract, see docs/DESIGN.md)
    "touch_id",
    "customer_id",
    "customer",
    "contact",
    "owner",
    "channel",
    "due",
    "purpose",
    "template",
    "priority",
    "status",
    "done_date",
    "notes",
    "step",
    "cancel_reason",
)


@dataclass
class PlanResult:
    """The plan's touches (all rows of the sheet), what did not fit, and warnings.

    What did not fit is given as a frame, or as a function making it when first asked for:
    on a big list it is millions of rows, and a run only counts them (``beyond_capacity``).
    """

    touches: pd.DataFrame
    _unplaced: pd.DataFrame | Callable[[], pd.DataFrame]
    warnings: list[Text] = field(default_factory=list)  # shown in the console's language
    as_of: dt.date | None = None
    extra_columns: list[str] = field(default_factory=list)
    beyond_capacity: int = -1  # the number of unplaced touches (-1: count the frame)
    estimated_years: tuple[int, ...] = ()  # calendar years estimated, not official

    def __post_init__(self) -> None:
        if self.beyond_capacity < 0:
            self.beyond_capacity = len(self.unplaced)

    @property
    def unplaced(self) -> pd.DataFrame:
        """The touches that did not fit the reps' capacity within the horizon."""
        if callable(self._unplaced):
            self._unplaced = self._unplaced()
        return self._unplaced


@functools.lru_cache(maxsize=16)
def work_calendar(country: str = "CN", days: CalendarDays | None = None) -> WorkCalendar:
    """A shared working-day calendar (its year tables are built once per process)."""
    return WorkCalendar(country, days)


def empty_touches(extras: Sequence[str] = ()) -> pd.DataFrame:
    """A touch frame without rows (no previous plan), with staff's extra columns."""
    frame = pd.DataFrame({key: pd.Series(dtype=object) for key in (*TOUCH_COLUMNS, *extras)})
    frame.attrs["extra_columns"] = list(extras)
    return frame


def _done_by_channel(existing: pd.DataFrame) -> pd.Series:
    """Ordinal of the latest completed touch per (customer ID, channel)."""
    done = existing[existing["status"] == STATUS_DONE]
    when = pd.Series(
        date_ordinals(done["done_date"].where(done["done_date"].notna(), done["due"])),
        index=done.index,
    )
    keys = [done["customer_id"].astype(str), done["channel"].astype(str)]
    return when[when >= 0].groupby(keys).max()


def _last_contact(
    ids: np.ndarray, channel: str, purchase: np.ndarray, done: pd.Series
) -> np.ndarray:
    """Ordinal of each customer's last completed contact on a channel, else their purchase."""
    if done.empty:
        return purchase
    wanted = pd.MultiIndex.from_arrays([ids.astype(str), np.full(len(ids), channel)])
    found = done.reindex(wanted).to_numpy(dtype="float64")
    return np.where(np.isnan(found), purchase, found).astype(np.int64)


def _from_plan(existing: pd.DataFrame) -> np.ndarray:
    """Which rows of the previous plan the plan made: an id, or a step where the id is gone."""
    made: np.ndarray = _filled(existing["touch_id"]) | _filled(existing["step"])
    return made


def _filled(column: pd.Series) -> np.ndarray:
    """Which cells are not blank as text, as ``column.fillna("").astype(str) != ""`` says:
    neither missing nor "" (no text made of each cell)."""
    values = column.to_numpy(dtype=object)
    filled: np.ndarray = ~pd.isna(values)
    filled[filled] = values[filled] != ""
    return filled


def _blank_ids(existing: pd.DataFrame) -> np.ndarray:
    """Which rows have no touch id, as ``fillna("").astype(str).str.strip() == ""`` says."""
    values = existing["touch_id"].to_numpy(dtype=object)
    texts, strings = trimmed(values)
    blank: np.ndarray = pd.isna(values) | (strings & (texts == ""))
    other = np.flatnonzero(~blank & ~strings)  # numbers, dates: their text is never blank
    blank[other] = [not str(value).strip() for value in values[other]]
    return blank


def _planned_once(existing: pd.DataFrame, keys: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Rows of the previous plan not cancelled, per one-off step's key (``keys``), indexed by
    customer ID."""
    # The rows of those steps alone (their keys are text with a "#": no other cell's text is
    # one), the plan's since they have a step.
    wanted = (existing["step"].isin(keys) & (existing["status"] != STATUS_CANCELLED)).to_numpy()
    # The five columns read, not every column (staff's too) copied first.
    rows = existing.loc[wanted, ["customer_id", "step", "touch_id", "status", "due"]]
    frame = pd.DataFrame(
        {
            "customer_id": rows["customer_id"].astype(str).to_numpy(),
            "step": rows["step"].astype(str).to_numpy(),
            "touch_id": rows["touch_id"].fillna("").astype(str).to_numpy(),
            "status": rows["status"].to_numpy(),
            "due_ordinal": date_ordinals(rows["due"]),
        }
    ).drop_duplicates(["customer_id", "step"])
    return {
        str(key): group.drop(columns="step").set_index("customer_id")
        for key, group in frame.groupby("step", sort=False)
    }


@dataclass
class _Candidates:
    """Touches the cadences ask for, as parallel arrays."""

    customer: list[np.ndarray] = field(default_factory=list)  # row position in the frame
    step: list[np.ndarray] = field(default_factory=list)  # index into the steps
    nominal: list[np.ndarray] = field(default_factory=list)  # ordinal before levelling
    reuse: list[np.ndarray] = field(default_factory=list)  # existing id for one-off steps, ""

    def add(self, customer: np.ndarray, step: int, nominal: np.ndarray, reuse: np.ndarray) -> None:
        self.customer.append(customer)
        self.step.append(np.full(len(customer), step, dtype=np.int64))
        self.nominal.append(nominal)
        self.reuse.append(reuse)


def build_plan(
    customers: pd.DataFrame,
    tiers: pd.DataFrame,
    settings: PlanSettings,
    as_of: dt.date,
    *,
    existing: pd.DataFrame | None = None,
    horizon_days: int = 30,
    country: str = "CN",
    channel_limits: Mapping[str, int] | None = None,
) -> PlanResult:
    """The follow-up plan for the horizon, levelled to each rep's capacity (texts and e-mails
    to ``channel_limits`` per day, default unlimited) and merged with the previous plan."""
    calendar = work_calendar(country, settings.calendar)
    if not tiers.index.equals(customers.index):
        tiers = tiers.reindex(customers.index)
    n = len(customers)
    ids = text_column(customers, "id")
    blank = np.flatnonzero(ids == "")  # no ID: the row number stands in (only those spelt)
    ids[blank] = customers.index[blank].astype(str).to_numpy(dtype=object)
    start, end = as_of.toordinal(), as_of.toordinal() + horizon_days
    horizon = np.arange(start, end)[calendar.workday_array(np.arange(start, end))]
    if existing is None:
        existing = empty_touches()
    extras = list(existing.attrs.get("extra_columns", []))

    opted_out = flags(role_column(customers, "opt_out"))
    last_purchase = date_ordinals(role_column(customers, "last_purchase"))
    first = date_ordinals(role_column(customers, "first_purchase"))
    first = np.where(first >= 0, first, last_purchase)
    is_new = (first >= 0) & (first <= start) & (first > start - NEW_CUSTOMER_DAYS)
    groups, chosen = match_groups(list(settings.steps), tiers, is_new)
    chosen[opted_out] = -1
    purchase = np.where(last_purchase >= 0, last_purchase, first)
    purchase = np.where(purchase >= 0, purchase, start)

    candidates = _generate(
        settings.steps, groups, chosen, ids, first, purchase, existing, calendar, start, end
    )
    customer = np.concatenate(candidates.customer) if candidates.customer else np.empty(0, int)
    step_index = np.concatenate(candidates.step) if candidates.step else np.empty(0, int)
    nominal = np.concatenate(candidates.nominal) if candidates.nominal else np.empty(0, int)
    reuse = np.concatenate(candidates.reuse) if candidates.reuse else np.empty(0, object)
    steps = settings.steps
    keys = np.array([step.key for step in steps], dtype=object)
    # Each customer ID and step key is hashed once, not once per touch. The generated ids are
    # kept as numbers (or the earlier id reused): only the touches written are spelt as text.
    hashed = hashed_numbers(text_hash(ids)[customer], text_hash(keys)[step_index], nominal)

    def asked() -> pd.DataFrame:
        """The touches the cadences ask for, as rows that lost their id are matched with."""
        return pd.DataFrame(
            {
                "customer_id": ids[customer].astype(str),
                "step": keys[step_index].astype(str),
                "nominal": nominal.astype(np.int64),
                "touch_id": _generated_ids(hashed, reuse),
            }
        )

    existing = _adopt_ids(existing, asked)

    # Matching: rows staff finished (done/skipped/cancelled) stay as they are.
    # The previous ids and the generated ones are numbered together, by one hash of each.
    ids_known = _IdCodes.of(existing, hashed, reuse)
    matched = np.zeros(len(hashed), dtype=bool)
    generated_codes = np.empty(0, dtype=np.intp)
    if ids_known is not None:  # a first plan has nothing to match against
        status_of, matched = ids_known.first_status(existing["status"].to_numpy(dtype=object))
        fresh = pd.isna(status_of) | (status_of == STATUS_OPEN)
        customer, step_index, nominal = customer[fresh], step_index[fresh], nominal[fresh]
        hashed, reuse, generated_codes = hashed[fresh], reuse[fresh], ids_known.generated[fresh]
        matched = matched[fresh]

    # Owners: the customer's owner, else the owner of their latest plan row, else least load.
    owners = text_column(customers, "owner")
    from_plan = _sticky_owners(existing, ids)
    if from_plan is not None:
        owners = np.where(owners == "", from_plan, owners)
    load = np.bincount(customer, minlength=n)
    group_channels = np.empty(len(groups) + 1, dtype=object)  # the last: no group
    for g, group in enumerate([*groups, None]):
        group_channels[g] = frozenset(s.channel for s in steps if s.applies_to == group)
    channel_sets: list[frozenset[str]] = group_channels[chosen].tolist()
    reps, warnings = _reps(settings.reps, owners[load > 0])
    owners = assign_owners(ids, owners, channel_sets, load, reps)

    priorities = np.array([step.priority for step in steps], dtype=np.int64)
    channels = _pick([s.channel for s in steps], np.arange(len(steps)))
    texted = np.unique(customer[np.isin(channels, _TEXT_CHANNELS)[step_index]])
    landline_only = _landline_only(customers, texted)
    touch_channel = _reachable(channels[step_index], landline_only[customer])
    capacity = {rep.name: rep.capacity for rep in reps}
    for name in UNATTENDED:
        capacity[f"\ufffe{name}"] = (channel_limits or {}).get(name, len(customer) + 1)
    levelling = _Levelling(ids, keys, _tier_rank(tiers), priorities, capacity)
    placed = levelling.placed(
        customer, step_index, nominal, owners[customer], touch_channel, horizon, existing
    )
    warnings = calendar.warnings_for(as_of, dt.date.fromordinal(end)) + warnings
    warnings += existing.attrs.get("warnings", [])

    names, contacts = text_column(customers, "name"), text_column(customers, "contact")

    def touch_rows(
        who: np.ndarray, step: np.ndarray, touch_ids: np.ndarray, day: np.ndarray, index: pd.Index
    ) -> pd.DataFrame:
        """The generated touches of these customers, steps, ids and days (-1: not placed)."""
        columns = {
            "touch_id": touch_ids,
            "customer_id": ids[who],
            "customer": names[who],
            "contact": contacts[who],
            "owner": owners[who],
            "channel": _reachable(channels[step], landline_only[who]),
            "due": ordinal_dates(day),
            "purpose": _pick([s.purpose for s in steps], step),
            "template": _pick([s.template for s in steps], step),
            "priority": priorities[step],
            "step": keys[step],
            "status": STATUS_OPEN,
            "done_date": None,
            "notes": "",
            "cancel_reason": "",
        }
        # copy=False: the columns are fresh arrays, stacking them into blocks is wasted work.
        return pd.DataFrame(columns, index=index, copy=False)

    kept = np.flatnonzero((placed >= 0) | matched)
    day = np.append(horizon, -1)[placed[kept]]  # -1 (unplaced) picks the -1
    ids_kept = _generated_ids(hashed[kept], reuse[kept])
    frame = touch_rows(customer[kept], step_index[kept], ids_kept, day, pd.Index(kept))
    # What did not fit, built when asked for (millions of rows on a full sheet): kept compact
    # till then, as customer and step numbers, the ids' numbers and the few ids reused.
    dropped = np.flatnonzero((placed < 0) & ~matched)
    dropped_who = customer[dropped].astype(np.int32)
    dropped_step = step_index[dropped].astype(np.int32)
    dropped_hashed = hashed[dropped]
    dropped_reused = np.flatnonzero(reuse[dropped] != "")
    dropped_reuse = reuse[dropped[dropped_reused]]

    def unplaced() -> pd.DataFrame:
        """The touches that did not fit, as frame rows (no date)."""
        reused = np.full(len(dropped_who), "", dtype=object)
        reused[dropped_reused] = dropped_reuse
        touch_ids = _generated_ids(dropped_hashed, reused)
        never = np.full(len(dropped_who), -1, dtype=np.int64)
        index = pd.RangeIndex(len(dropped_who))
        return touch_rows(dropped_who, dropped_step, touch_ids, never, index)

    def status(wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For these customer IDs (texts): in the table, opted out, and the cadence group
        followed ("" for none), by the first row of an ID the table repeats."""
        distinct = pd.Index(wanted, dtype=object).drop_duplicates()  # (unique cuts at a NUL)
        # The table's IDs looked up among the few wanted, not a hash table of the whole table.
        codes = distinct.get_indexer(numpy_texts(ids))
        first = _first_positions(codes, len(distinct))[distinct.get_indexer(wanted)]
        group = np.array([*groups, ""], dtype=object)[np.append(chosen, -1)[first]]
        return first >= 0, np.append(opted_out, False)[first], group

    if ids_known is None:  # nothing to update: every generated row is new
        matches = (np.empty(0, np.intp), np.zeros(len(frame), bool), np.empty(0, bool))
    else:
        matches = ids_known.matches(generated_codes[kept])
    touches = _merge(frame, existing, matches, status, end)
    return PlanResult(
        touches,
        unplaced,
        warnings,
        as_of,
        extras,
        beyond_capacity=len(dropped),
        estimated_years=calendar.estimated_between(as_of, dt.date.fromordinal(end)),
    )


@dataclass
class _Levelling:
    """How touches are levelled: the order they take their day in, and each rep's capacity."""

    ids: np.ndarray  # per customer
    keys: np.ndarray  # per step
    tier_rank: np.ndarray  # per customer: code A first
    priorities: np.ndarray  # per step
    capacity: dict[str, int]  # per rep, and per unattended channel (named after a noncharacter)

    def placed(
        self,
        customer: np.ndarray,
        step: np.ndarray,
        nominal: np.ndarray,
        owner: np.ndarray,
        channel: np.ndarray,
        horizon: np.ndarray,
        existing: pd.DataFrame,
    ) -> np.ndarray:
        """Each touch's position in the horizon's working days (-1: beyond capacity). Its
        temporaries (millions of touches on a full sheet) go with it."""
        # Earliest allowed day is the nominal due, pulled up to today when overdue.
        position = np.searchsorted(horizon, np.maximum(nominal, horizon[0] if len(horizon) else 0))
        # Ties are broken by customer ID, then step key, as text: ranked once, sorted as numbers.
        id_rank, key_rank = text_rank(self.ids), text_rank(self.keys)
        order = sort_order(
            (
                key_rank[step],
                id_rank[customer],
                nominal,
                self.tier_rank[customer],
                self.priorities[step],
            )
        )
        order_key = np.empty(len(order), dtype=np.int64)
        order_key[order] = np.arange(len(order))
        # Texts and e-mails take no rep's time: each channel is levelled as a rep of its own,
        # named with a noncharacter no cell holds.
        queue = owner.astype(object)
        for name in UNATTENDED:
            queue[channel == name] = f"\ufffe{name}"
        booked = _booked_by_hand(existing, horizon)
        placed: np.ndarray = level(queue, position, order_key, self.capacity, len(horizon), booked)
        return placed


def _generate(
    steps: Sequence[CadenceStep],
    groups: list[str],
    chosen: np.ndarray,
    ids: np.ndarray,
    first: np.ndarray,
    purchase: np.ndarray,
    existing: pd.DataFrame,
    calendar: WorkCalendar,
    start: int,
    end: int,
) -> _Candidates:
    """Every touch the cadences ask for in the horizon, before owners and levelling."""
    done = _done_by_channel(existing)
    earlier = _planned_once(existing, [step.key for step in steps if step.repeat is None])
    catch_up = int(calendar.add_workdays_array(np.array([start]), -CATCH_UP_WORKDAYS)[0])
    candidates = _Candidates()
    for s, step in enumerate(steps):
        members = np.flatnonzero(chosen == groups.index(step.applies_to))
        if not len(members):
            continue
        last = _last_contact(ids[members], step.channel, purchase[members], done)
        if step.repeat is None:
            if NEW in step.terms:
                anchor = np.where(first[members] >= 0, first[members], start)
            elif CHURN in step.terms:
                anchor = np.full(len(members), start)
            else:
                anchor = last
            nominal = calendar.next_workday_array(calendar.add_workdays_array(anchor, step.offset))
            reuse = np.full(len(members), "", dtype=object)
            keep = nominal >= catch_up
            if step.key in earlier:  # (else no customer's earlier row to look up)
                found = earlier[step.key].reindex(pd.Index(ids[members]))
                seen = found["status"].notna().to_numpy()
                due_before = found["due_ordinal"].fillna(-1).to_numpy(dtype=np.int64)
                still_open = (found["status"] == STATUS_OPEN).to_numpy() & (due_before >= 0)
                # Still open from an earlier run: the same row, on its date; a done or skipped
                # one-off happened already; a new one is planned when it falls in the horizon.
                nominal = np.where(still_open, due_before, nominal)
                reuse = np.where(
                    still_open, found["touch_id"].fillna("").to_numpy(dtype=object), ""
                )
                keep = np.where(seen, still_open, keep)
            keep &= nominal < end
            candidates.add(members[keep], s, nominal[keep], reuse[keep].astype(object))
        else:
            first_due = calendar.add_workdays_array(last, step.offset + step.repeat)
            _repeat_series(calendar, candidates, members, s, first_due, step.repeat, start, end)
    return candidates


@dataclass
class _IdCodes:
    """The previous plan's touch ids and the generated ones, numbered alike.

    ``previous`` numbers each previous row by its id as text (``astype(str)``; -1 where blank),
    as the statuses are looked up; ``merged`` as the merge reads them (-1 also where the id is
    missing: the merge fills it with ""); ``generated`` numbers the generated ids (-1 where no
    previous row holds the id).
    """

    previous: np.ndarray
    merged: np.ndarray
    generated: np.ndarray
    size: int

    @classmethod
    def of(cls, existing: pd.DataFrame, hashed: np.ndarray, reuse: np.ndarray) -> _IdCodes | None:
        """The codes of the previous plan and the generated ids (the hashed id's number, or
        the id ``reuse`` holds where not ""); None without previous rows."""
        if not len(existing):
            return None
        raw = existing["touch_id"]
        text = raw.astype(str).to_numpy(dtype=object)
        reused = np.flatnonzero(reuse != "")
        # Ids spelt as the plan spells them are numbered by their number, any other value
        # after them by its own factorize (few): integers hashed, not Python strings.
        previous_keys, reused_keys = id_numbers(text), id_numbers(reuse[reused])
        other_previous = np.flatnonzero(previous_keys < 0)
        other_reused = reused[reused_keys < 0]
        other_codes, others = pd.factorize(
            np.concatenate([text[other_previous], reuse[other_reused]]), use_na_sentinel=False
        )
        generated_keys = hashed.astype(np.int64)
        generated_keys[reused] = reused_keys
        previous_keys[other_previous] = ID_NUMBERS + other_codes[: len(other_previous)]
        generated_keys[other_reused] = ID_NUMBERS + other_codes[len(other_previous) :]
        # The previous ids numbered, the generated (millions) looked up among them: no
        # hash table of them all.
        previous, distinct = pd.factorize(previous_keys)
        generated_codes = pd.Index(distinct).get_indexer(generated_keys)
        blank = np.flatnonzero(pd.Index(others, dtype=object) == "")
        if len(blank):
            previous = np.where(previous_keys == ID_NUMBERS + blank[0], -1, previous)
        merged = np.where(raw.isna().to_numpy(), -1, previous)
        return cls(previous, merged, generated_codes, len(distinct))

    def first_status(self, status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each generated id: the status of the first previous row with it (None where
        none has it), and whether one has it."""
        first = np.append(_first_positions(self.previous, self.size), -1)
        found = first[self.generated]
        return np.append(status, np.full(1, None))[found], found >= 0

    def matches(self, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Given the codes of the new touches (the generated rows kept, in their order), as
        the merge reads ids: for each previous row the first new touch with its id (-1: none);
        for each new touch whether a previous row has its id; each previous row has an id."""
        has_id = self.merged >= 0
        first = _first_positions(kept, self.size)
        found: np.ndarray = np.where(has_id, first[self.merged], -1)
        seen = np.bincount(self.merged[has_id], minlength=self.size + 1) > 0
        known: np.ndarray = seen[kept]  # -1 (no previous row's id) picks the last: False
        return found, known, has_id


def _generated_ids(hashed: np.ndarray, reuse: np.ndarray) -> np.ndarray:
    """The generated touches' ids as text: the id reused where one is, else the hashed one."""
    return np.where(reuse != "", reuse, id_texts(hashed))


def _first_positions(codes: np.ndarray, size: int) -> np.ndarray:
    """For each code below ``size``, the first position that holds it (-1: none); negative
    codes are left out."""
    first = np.full(size + 1, len(codes), dtype=np.intp)  # the last: negative codes
    np.minimum.at(first, np.where(codes >= 0, codes, size), np.arange(len(codes)))
    first[first == len(codes)] = -1
    return first[:size]


def _sticky_owners(existing: pd.DataFrame, ids: np.ndarray) -> np.ndarray | None:
    """Per customer ID, the owner of their latest previous plan row that has one ("" where
    none has); None when no row has an owner."""
    owned = _filled(existing["owner"])
    if not owned.any():
        return None
    customer = existing["customer_id"][owned].astype(str).to_numpy(dtype=object)
    # The plan's customers and the table's numbered together: one hash of each.
    codes, distinct = pd.factorize(np.concatenate([customer, ids]), use_na_sentinel=False)
    latest = _latest_rows(
        codes[: len(customer)],
        date_ordinals(existing["due"][owned]),
        existing["touch_id"].to_numpy(dtype=object)[owned],
        len(distinct),
    )
    names = np.append(existing["owner"][owned].astype(str).to_numpy(dtype=object), "")
    sticky: np.ndarray = names[latest[codes[len(customer) :]]]  # -1 (none) picks the ""
    return sticky


def _latest_rows(
    codes: np.ndarray, due: np.ndarray, touch_ids: np.ndarray, size: int
) -> np.ndarray:
    """Per code below ``size``, its latest row: by due date, then touch id as text, then the
    later row (-1: none)."""
    best = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(best, codes, due)
    top = np.flatnonzero(due == best[codes])  # rows on their code's latest date
    count = np.bincount(codes[top], minlength=size)
    latest = np.full(size, -1, dtype=np.intp)
    alone = top[count[codes[top]] == 1]
    latest[codes[alone]] = alone
    # Touch ids compared as text only where a date ties (ranks sorted as numbers, not objects).
    tied = top[count[codes[top]] > 1]
    if len(tied):
        order = tied[np.lexsort((tied, text_rank(touch_ids[tied]), codes[tied]))]
        ends = np.append(codes[order][1:] != codes[order][:-1], True)
        latest[codes[order][ends]] = order[ends]
    return latest


def _booked_by_hand(existing: pd.DataFrame, horizon: np.ndarray) -> dict[str, np.ndarray]:
    """Per rep, how many open rows staff typed in by hand fall on each working day."""
    hand = existing[~_from_plan(existing) & (existing["status"] == STATUS_OPEN).to_numpy()]
    due = date_ordinals(hand["due"])
    position = np.searchsorted(horizon, due)
    on_workday = (position < len(horizon)) & (
        horizon[np.minimum(position, len(horizon) - 1)] == due
    )
    booked: dict[str, np.ndarray] = {}
    owners = hand["owner"].fillna("").astype(str).to_numpy()
    for name in set(owners[on_workday]):
        days = position[on_workday & (owners == name)]
        booked[name] = np.bincount(days, minlength=len(horizon))
    return booked


def _repeat_series(
    calendar: WorkCalendar,
    candidates: _Candidates,
    members: np.ndarray,
    step: int,
    first_due: np.ndarray,
    repeat: int,
    start: int,
    end: int,
) -> None:
    """Every occurrence of a repeating step within the horizon (the latest overdue one kept)."""
    base = calendar.positions(first_due)
    today = int(calendar.positions(calendar.next_workday_array(np.array([start])))[0])
    last_pos = int(calendar.positions(np.array([end]))[0])  # first working day ≥ end
    # Skip whole intervals before today: the latest occurrence on or before today stays
    # (overdue ones are pulled up to today by levelling).
    skip = np.where(base < today, (today - base) // repeat, 0)
    begin = base + skip * repeat
    count = np.maximum(0, (last_pos - 1 - begin) // repeat + 1)
    owner_rows = np.repeat(np.arange(len(members)), count)
    within = np.arange(len(owner_rows)) - np.repeat(np.cumsum(count) - count, count)
    positions = begin[owner_rows] + within * repeat
    nominal = calendar.ordinals_at(positions)
    candidates.add(members[owner_rows], step, nominal, np.full(len(owner_rows), "", dtype=object))


def _landline_only(customers: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Per customer: the only number is a landline (by the contact rules), which takes no
    text; told for these rows only (those a text is planned for), no elsewhere."""
    only = np.zeros(len(customers), dtype=bool)
    if len(rows):
        _, kind = normalise_phones(role_column(customers, "mobile").iloc[rows])
        only[rows] = (kind == "landline").to_numpy(dtype=bool)
    return only


def _reachable(channels: np.ndarray, landline_only: np.ndarray) -> np.ndarray:
    """The touches' channels, a text to a landline-only customer made a call."""
    return np.where(landline_only & np.isin(channels, _TEXT_CHANNELS), "phone", channels)


def _pick(values: list[str], index: np.ndarray) -> np.ndarray:
    """values[i] for every i in index, as an object array."""
    return np.array(values, dtype=object)[index] if values else np.empty(0, dtype=object)


def _tier_rank(tiers: pd.DataFrame) -> np.ndarray:
    """Tier order for levelling: code A first, unknown last."""
    inverse, distinct = pd.factorize(text_column(tiers, "tier_code"))
    rank = np.array([ord(c[0].upper()) - 64 if c else 99 for c in distinct], dtype=np.int64)
    ranks: np.ndarray = rank[inverse]
    return ranks


def _reps(configured: Sequence[Rep], owners: np.ndarray) -> tuple[list[Rep], list[Text]]:
    """The reps to plan for: the configured ones plus any owner missing from them."""
    warnings: list[Text] = []
    reps = list(configured)
    names = {rep.name for rep in reps}
    missing = sorted({str(o) for o in pd.unique(owners) if o and o not in names})
    if reps and missing:
        warnings.append(
            Text(
                f"负责人 {'、'.join(missing[:10])} 不在销售人员表中，按每天 {DEFAULT_CAPACITY} 条安排",
                f"owners {', '.join(missing[:10])} are not in the reps table; "
                f"planned at {DEFAULT_CAPACITY} touches a day",
            )
        )
    reps += [Rep(name, DEFAULT_CAPACITY) for name in missing]
    if not reps:
        reps = [Rep(tr("未分配", "Unassigned"), DEFAULT_CAPACITY)]
    if not configured and not missing and len(owners):
        warnings.append(
            Text(
                "没有负责人也没有销售人员表：所有跟进记在「未分配」名下",
                "no owners and no reps table: every touch goes to 'Unassigned'",
            )
        )
    return reps, warnings


def _adopt_ids(existing: pd.DataFrame, asked: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """The previous plan with the rows that lost their id (the 编号 column deleted) given
    theirs again: the id of the touch the cadences ask for of the same customer and step (so
    channel) whose nominal date is the latest on or before the row's due date (levelling only
    moves a touch later, or an overdue one to today), one row each; the others an id of their
    own. Then no touch is planned twice and staff's edits stay with theirs.

    ``asked`` makes the frame of the touches the cadences ask for (``customer_id``, ``step``,
    ``nominal``, ``touch_id``): only when a row lost its id."""
    lost = _blank_ids(existing) & _from_plan(existing)
    if not lost.any():
        return existing
    rows = pd.DataFrame(
        {
            "customer_id": existing["customer_id"].fillna("").astype(str).str.strip(),
            "step": existing["step"].fillna("").astype(str),
            "due": date_ordinals(existing["due"]),
            "at": np.arange(len(existing)),
        }
    )[lost]
    touches = asked().sort_values("nominal", kind="stable")
    found = pd.merge_asof(
        rows.sort_values("due", kind="stable"),
        touches,
        left_on="due",
        right_on="nominal",
        by=["customer_id", "step"],
        direction="backward",
    ).sort_values("at", kind="stable")
    found["touch_id"] = _one_each(found, touches)
    # Apart from the plan's own ids (the step key after a noncharacter no cell holds), so an
    # open one is cancelled as rescheduled, as it would have been with its id.
    own = hashed_ids(
        text_hash(found["customer_id"].to_numpy(dtype=object)),
        text_hash(("\ufffe" + found["step"]).to_numpy(dtype=object)),
        found["due"].to_numpy(),
    )
    adopted = existing.copy()
    adopted.loc[lost, "touch_id"] = np.where(found["touch_id"].notna(), found["touch_id"], own)
    return adopted


def _one_each(found: pd.DataFrame, asked: pd.DataFrame) -> pd.Series:
    """The ids found, each for one row only: a row whose touch an earlier row took (two of
    one step levelled onto one day) takes the step's touch before it, if that is free."""
    ids = found["touch_id"].copy()
    taken = ids.duplicated() & ids.notna()
    if not taken.any():
        return ids
    used = set(ids[~taken].dropna())
    for at in np.flatnonzero(taken.to_numpy()).tolist():
        row = found.iloc[at]
        same = asked[(asked["customer_id"] == row["customer_id"]) & (asked["step"] == row["step"])]
        earlier = same[(same["nominal"] <= row["due"]) & ~same["touch_id"].isin(used)]
        ids.iloc[at] = earlier["touch_id"].iloc[-1] if len(earlier) else None
        used.add(ids.iloc[at])
    return ids


def _stacked(top: pd.DataFrame, bottom: pd.DataFrame) -> dict[str, pd.Series]:
    """The columns of pd.concat of the two frames (ignore_index), text columns joined as plain
    arrays; no frame made of them (its blocks would be copies)."""
    # pd.concat checks a column of blanks (done_date of new touches) one Python call per
    # value. Object columns are joined as they are where pandas would keep every value: no
    # side all blank, or one side all None (pandas makes its own blanks of any other, and
    # of an empty frame).
    if not len(top) or not len(bottom):
        return dict(pd.concat([top, bottom], ignore_index=True).items())
    names = list(top.columns) + [c for c in bottom.columns if c not in top.columns]
    columns: dict[str, pd.Series] = {}
    for name in names:
        pair = [frame[name].to_numpy() for frame in (top, bottom) if name in frame.columns]
        if len(pair) == 2 and all(p.dtype == object for p in pair) and _kept_by_concat(*pair):
            # As a Series of object: pandas 3 would read a bare array of texts as str.
            columns[name] = pd.Series(np.concatenate(pair), dtype=object, copy=False)
        else:
            frames = [
                frame[[name]] if name in frame.columns else frame[[]] for frame in (top, bottom)
            ]
            columns[name] = pd.concat(frames, ignore_index=True)[name]
    return columns


def _taken(columns: dict[str, pd.Series], order: np.ndarray) -> pd.DataFrame:
    """A frame of the columns' values at ``order`` (a RangeIndex), each column taken once and
    then dropped from ``columns`` (emptied): never all columns twice in memory."""
    taken: dict[str, pd.Series] = {}
    for name in list(columns):
        column = columns.pop(name)
        # A numpy column indexed as its array: ExtensionArray.take first checks every value
        # for blanks.
        values = (
            column.to_numpy()[order]
            if isinstance(column.dtype, np.dtype)
            else column.array.take(order)
        )
        taken[name] = pd.Series(values, dtype=column.dtype, copy=False)
    # copy=False: the taken columns are fresh, stacking them into blocks would copy them again.
    return pd.DataFrame(taken, index=pd.RangeIndex(len(order)), copy=False)


def _kept_by_concat(top: np.ndarray, bottom: np.ndarray) -> bool:
    """Whether pd.concat keeps both object columns' values as they are."""
    # A first value not blank answers for the whole column without a scan.
    blank = [bool(pd.isna(values[0]) and pd.isna(values).all()) for values in (top, bottom)]
    if not any(blank):
        return True
    if all(blank):  # pandas keeps blanks that are all None
        return all(_all_none(values) for values in (top, bottom))
    return _all_none(bottom if blank[1] else top)


def _all_none(values: np.ndarray) -> bool:
    """Whether every value is None (not NaN, nor NaT)."""
    return bool(values.tolist().count(None) == len(values))


def _set_where(frame: pd.DataFrame, name: str, rows: pd.Series, value: object) -> None:
    """``frame.loc[rows, name] = value`` on a copy of that column alone: the frame shares its
    other columns with the caller's."""
    column = frame[name].copy()
    column.loc[rows] = value
    frame[name] = column


def _blank_as_empty(frame: pd.DataFrame, names: list[str]) -> None:
    """``frame[names] = frame[names].fillna("")``, in place, skipping the columns of texts only
    (a C scan each): filling those is a copy that changes nothing."""
    for name in names:
        column = frame[name]
        if column.dtype != object or pd.api.types.infer_dtype(column, skipna=False) != "string":
            frame[name] = column.fillna("")


def _merge(
    generated: pd.DataFrame,
    existing: pd.DataFrame,
    matches: tuple[np.ndarray, np.ndarray, np.ndarray],
    customer_status: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
    end: int,
) -> pd.DataFrame:
    """The new plan merged into the previous one (see the module docstring for the rules).

    ``matches`` (see :meth:`_IdCodes.matches`): for each previous row the first generated row
    with its id (-1: none); for each generated row whether a previous row has its id; for each
    previous row whether it has an id.
    """
    # A shallow copy: the columns the merge changes are replaced whole, never written into.
    previous = existing.copy(deep=False)
    previous.index = pd.RangeIndex(len(previous))
    found, known, has_id = matches
    is_open = (previous["status"] == STATUS_OPEN) & has_id
    update = is_open & (found >= 0)
    if update.any():
        rows, source = update.to_numpy(), found[update.to_numpy()]
        for name in _ENGINE_FIELDS:
            # Column by column on arrays: a frame-wide .loc assignment copies every block.
            column = previous[name].to_numpy(dtype=object, copy=True)
            fresh = generated[name].to_numpy(dtype=object)[source]
            if name == "due":  # a touch that no longer fits the horizon keeps the date it had
                fresh = np.where(pd.isna(fresh), column[rows], fresh)
            column[rows] = fresh
            previous[name] = column
        _set_where(previous, "cancel_reason", update, "")
    due = date_ordinals(previous["due"])
    stale = is_open & ~update & (due < end)
    if stale.any():
        in_table, opted_out, followed = customer_status(
            previous.loc[stale, "customer_id"].astype(str).to_numpy(dtype=object)
        )
        group = previous.loc[stale, "step"].astype(str).str.rsplit("#", n=1).str[0].to_numpy()
        reason = np.select(
            [~in_table, opted_out, followed != group],
            [
                tr("客户已不在客户表中", "customer is no longer in the table"),
                tr("客户已退订", "customer opted out"),
                tr("不再适用（等级或阶段已变）", "no longer applies (tier or stage changed)"),
            ],
            default=tr(
                "已重新安排（上次完成后顺延）", "rescheduled (after the last completed contact)"
            ),
        )
        _set_where(previous, "status", stale, STATUS_CANCELLED)
        _set_where(previous, "cancel_reason", stale, reason)
    # Column by column: a frame's rows taken by a mask first join its columns into blocks.
    added = (
        generated if not known.any() else _taken(dict(generated.items()), np.flatnonzero(~known))
    )
    columns = _stacked(previous, added) if len(previous) else dict(added.items())
    del previous, added  # stacked: their columns are let go as the merged ones are taken
    priority = pd.to_numeric(columns["priority"], errors="coerce")
    # Texts sorted as ranks: lexsort compares object arrays one Python call at a time.
    dates = date_ordinals(columns["due"])
    order = sort_order(
        (
            text_rank(columns["customer_id"].to_numpy()),
            priority.fillna(99).to_numpy(),
            text_rank(columns["owner"].to_numpy()),
            np.where(dates < 0, dates.max(initial=0) + 1, dates),  # no date: last
        ),
        ties=columns["touch_id"].to_numpy(),
    )
    columns["priority"] = priority.astype("Int64")
    merged = _taken(columns, order)
    text = ["touch_id", "customer_id", "customer", "contact", "owner", "channel", "purpose"]
    text += ["template", "step", "notes", "cancel_reason"]
    _blank_as_empty(merged, text)
    merged.attrs["extra_columns"] = list(existing.attrs.get("extra_columns", []))
    return merged
