"""Pure booking rules of the Portail Famille: deadlines, opening days, calendar states and actions, the answer
to a request, quick tools, slot compatibility, the basket's checks, copying, follow-up and the transmission's
grouping. No I/O, no database, no clock reads, no formatting for people (kit.fr does that)."""

from services.booking.domain.compat import Slot, conflicts, overlaps
from services.booking.domain.copying import CopyTarget, NotImported, plan_copy
from services.booking.domain.deadlines import (
    PARIS,
    DeadlineRule,
    deadline_for,
    is_open_for_change,
    previous_working_day,
)
from services.booking.domain.openings import (
    OpeningRule,
    Period,
    french_public_holidays,
    opening_days,
    public_holidays,
)
from services.booking.domain.quick import (
    Cell,
    Pending,
    actionable,
    effectively_booked,
    quick_toggle,
    same_weekday,
    toggle_day,
    week_of,
)
from services.booking.domain.states import (
    LABELS,
    SYMBOLS,
    BookingStatus,
    DayFacts,
    DayState,
    can_cancel,
    can_reserve,
    day_actions,
    day_label,
    day_state,
    remaining_places,
    request_outcome,
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
    "day_actions",
    "day_label",
    "day_state",
    "deadline_for",
    "effectively_booked",
    "french_public_holidays",
    "is_open_for_change",
    "opening_days",
    "overlaps",
    "plan_copy",
    "previous_working_day",
    "public_holidays",
    "quick_toggle",
    "remaining_places",
    "request_outcome",
    "same_weekday",
    "toggle_day",
    "week_of",
]
