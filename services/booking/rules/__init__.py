"""Pure booking rules of the Portail Famille: deadlines, opening days, calendar states,
quick tools, slot compatibility and copying. No I/O, no database, no clock reads."""

from services.booking.rules.compat import Slot, conflicts, overlaps
from services.booking.rules.copying import CopyTarget, NotImported, french_day, plan_copy
from services.booking.rules.deadlines import (
    PARIS,
    DeadlineRule,
    deadline_for,
    is_open_for_change,
    previous_working_day,
)
from services.booking.rules.openings import OpeningRule, Period, french_public_holidays, opening_days
from services.booking.rules.quick import (
    Cell,
    Pending,
    actionable,
    effectively_booked,
    quick_toggle,
    same_weekday,
    toggle_day,
    week_of,
)
from services.booking.rules.states import (
    LABELS,
    SYMBOLS,
    BookingStatus,
    DayFacts,
    DayState,
    can_cancel,
    can_reserve,
    day_state,
    remaining_places,
)

__all__ = [
    "LABELS",
    "PARIS",
    "SYMBOLS",
    "BookingStatus",
    "Cell",
    "CopyTarget",
    "DayFacts",
    "DayState",
    "DeadlineRule",
    "NotImported",
    "OpeningRule",
    "Pending",
    "Period",
    "Slot",
    "actionable",
    "can_cancel",
    "can_reserve",
    "conflicts",
    "day_state",
    "deadline_for",
    "effectively_booked",
    "french_day",
    "french_public_holidays",
    "is_open_for_change",
    "opening_days",
    "overlaps",
    "plan_copy",
    "previous_working_day",
    "quick_toggle",
    "remaining_places",
    "same_weekday",
    "toggle_day",
    "week_of",
]
