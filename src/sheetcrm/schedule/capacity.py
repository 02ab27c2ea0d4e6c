"""People and capacity: who owns each customer, and levelling touches to what reps can do.

Existing owners (负责人) keep their customers. Customers without one go to the
rep with the least planned load, one customer at a time in customer-ID order
(so the result does not depend on row order). When the reps block is empty,
the reps are the distinct owners in the data, each with
:data:`DEFAULT_CAPACITY` touches per working day.

Levelling works per rep, day by day: the touches due that day join those
carried over, the highest priority (then tier, then earliest due) get the
day's capacity, the rest move to the next working day.

Texts and e-mails (:data:`UNATTENDED`) take no rep's time: they are levelled apart, against
the platform's limit per day in the ``[channel_limits]`` block (blank: unlimited).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..i18n import tr
from ..settings import Allowed, Block, Settings, register
from ..values import parse_number

__all__ = [
    "CHANNEL_LIMITS",
    "DEFAULT_CAPACITY",
    "REPS",
    "UNATTENDED",
    "Rep",
    "assign_owners",
    "level",
    "parse_channel_limits",
]

UNATTENDED = ("sms", "email")  # channels a platform sends: no rep's time

DEFAULT_CAPACITY = 40  # touches per rep per working day when the reps block gives none

REPS = register(
    Block(
        key="reps",
        title_zh="销售人员",
        title_en="Reps",
        columns=(
            ("name", "姓名 Name"),
            ("capacity", "每日容量 Daily capacity"),
            ("channels", "渠道 Channels"),
        ),
        defaults=(),
        help=(
            f"留空则按客户表中的负责人、每人每天 {DEFAULT_CAPACITY} 条；渠道用逗号或顿号分隔，留空=全部 · "
            f"blank: the owners in the data, {DEFAULT_CAPACITY} touches a day each; "
            "channels separated by commas, blank = all"
        ),
        order=21,
        # More than this many touches a day is more likely a typo than a rep.
        allowed=(("capacity", Allowed("whole", low=1, usual=200)),),
    )
)


CHANNEL_LIMITS = register(
    Block(
        key="channel_limits",
        title_zh="短信与邮件每日上限",
        title_en="Daily limits of SMS and email",
        columns=(("channel", "渠道 Channel"), ("limit", "每日上限 Daily limit")),
        defaults=(("sms", None), ("email", None)),
        help=(
            "短信、邮件不占销售人员的容量；平台限流时填每天最多发送条数，留空=不限 · "
            "texts and e-mails take no rep's capacity; a platform's limit per day, blank = none"
        ),
        order=23,
        allowed=(
            ("channel", Allowed("choice", choices=UNATTENDED)),
            ("limit", Allowed("whole", low=1)),
        ),
    )
)


def parse_channel_limits(settings: Settings) -> dict[str, int]:
    """Messages per day for each unattended channel with a limit (none: unlimited)."""
    data = settings.block("channel_limits")
    limits: dict[str, int] = {}
    for row, rec in data.records():
        channel, value = str(rec.get("channel") or "").strip().lower(), rec.get("limit")
        if value in (None, ""):
            continue
        try:
            number = parse_number(value)
        except ValueError:
            number = None
        if channel not in UNATTENDED or number is None or number < 1 or number != int(number):
            raise data.error(
                row,
                "limit" if channel in UNATTENDED else "channel",
                tr(
                    f"「{channel} {value}」无效：渠道为 sms 或 email，上限为正整数",
                    f"'{channel} {value}' is not valid: the channel is sms or email, "
                    "the limit a whole number above 0",
                ),
            )
        limits[channel] = int(number)
    return limits


@dataclass(frozen=True)
class Rep:
    """A rep: name, touches per working day, and the channels they handle (empty: all)."""

    name: str
    capacity: int
    channels: frozenset[str] = frozenset()

    def handles(self, channels: frozenset[str]) -> bool:
        """True when the rep handles every one of these channels."""
        return not self.channels or channels <= self.channels


def assign_owners(
    customer_ids: np.ndarray,
    owners: np.ndarray,
    channel_sets: list[frozenset[str]],
    load: np.ndarray,
    reps: list[Rep],
) -> np.ndarray:
    """Owners for every customer with touches: existing ones kept, the rest least-loaded.

    ``owners`` holds "" where unassigned; ``load`` is each customer's touch count
    (customers without touches stay unassigned);
    ``channel_sets`` the channels of each customer's cadence.
    """
    result = owners.astype(object).copy()
    names = [rep.name for rep in reps]
    position = {name: i for i, name in enumerate(names)}
    # Each rep's load from the customers they own already (a repeated name: its last rep).
    found = pd.Index(list(position), dtype=object).get_indexer(result)
    rep_of = np.array(list(position.values()), dtype=np.int64)[found[found >= 0]]
    rep_load = np.zeros(len(reps), dtype=np.int64)
    np.add.at(rep_load, rep_of, np.asarray(load, dtype=np.int64)[found >= 0])
    # Unowned customers with touches, in customer-ID order (a stable sort of just those
    # keeps the order a stable sort of everyone gives them).
    busy = np.flatnonzero(np.asarray(load) > 0)
    waiting = busy[np.array([not owner for owner in result[busy].tolist()], dtype=bool)]
    open_rows = waiting[np.argsort(np.asarray(customer_ids)[waiting], kind="stable")].tolist()
    capacity = np.array([max(rep.capacity, 1) for rep in reps], dtype=np.float64)
    eligible_cache: dict[frozenset[str], np.ndarray] = {}
    for i in open_rows:
        channels = channel_sets[i]
        eligible = eligible_cache.get(channels)
        if eligible is None:
            fits = np.array([rep.handles(channels) for rep in reps], dtype=bool)
            eligible = np.flatnonzero(fits) if fits.any() else np.arange(len(reps))
            eligible_cache[channels] = eligible
        # Capacity-weighted load, so a rep who can do twice as much gets twice the customers.
        weights = rep_load[eligible] / capacity[eligible]
        chosen = int(eligible[int(np.argmin(weights))])
        result[i] = names[chosen]
        rep_load[chosen] += load[i]
    return result


def level(
    owner: np.ndarray,
    due: np.ndarray,
    order_key: np.ndarray,
    capacity: Mapping[str, int],
    days: int,
    booked: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Levelled day (0 … days-1) per touch, -1 where nothing fits in the horizon.

    ``due`` is each touch's earliest working-day position in the horizon;
    ``order_key`` ranks touches competing for one day (smaller first, unique);
    ``booked`` counts, per rep and day, slots already taken (rows staff added).
    """
    result = np.full(len(due), -1, dtype=np.int64)
    fits = np.flatnonzero(due < days)  # due after the last working day: cannot fit
    # Each rep's touches by one factorize and one stable sort (in the order they came).
    codes, names = pd.factorize(owner[fits])
    by_rep = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[by_rep], np.arange(len(names) + 1))
    for rep, name in enumerate(names):
        index = fits[by_rep[starts[rep] : starts[rep + 1]]]
        taken_before = (booked or {}).get(str(name), np.zeros(days, dtype=np.int64))
        caps = np.maximum(capacity[str(name)] - taken_before, 0)
        due_days = due[index]
        if np.all(np.bincount(due_days, minlength=days) <= caps):
            result[index] = due_days  # nothing to move: the common case
            continue
        keys = order_key[index]
        # Day by day: the day's arrivals join the queue; the best of the queue fill the day.
        order = np.argsort(due_days, kind="stable")
        bounds = np.searchsorted(due_days[order], np.arange(days + 1), side="left")
        # Slots left after each day: a touch waiting behind that many better ones will
        # never get a day, so the queue keeps only as many (those dropped stay -1).
        later = caps[::-1].cumsum()[::-1] - caps
        queue = np.empty(0, dtype=np.int64)
        for day in range(days):
            queue = np.concatenate([queue, order[bounds[day] : bounds[day + 1]]])
            cap = int(caps[day])
            if len(queue) > cap:
                queue = _best_first(queue, keys, cap)
                result[index[queue[:cap]]] = day
                queue = queue[cap:]
            else:
                result[index[queue]] = day
                queue = queue[:0]
            if len(queue) > later[day]:
                queue = _best_first(queue, keys, int(later[day]))[: int(later[day])]
    return result


def _best_first(queue: np.ndarray, keys: np.ndarray, count: int) -> np.ndarray:
    """The queue with its ``count`` smallest keys first (in no particular order)."""
    if count <= 0:
        return queue
    return queue[np.argpartition(keys[queue], count - 1)]
