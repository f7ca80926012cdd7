"""The reminder before the dossier campaign closes (services/dossier/domain/closing.py): due in the days
before the closing day, for an incomplete dossier. Fixed dates only."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.dossier_sheets import SheetKind, SheetState
from services.dossier.domain.closing import closing_day_refusal, incomplete, reason_key, reminder_due

CLOSES = date(2026, 9, 30)


@pytest.mark.parametrize(("today", "due"), [(date(2026, 9, 22), False), (date(2026, 9, 23), True),
                                            (date(2026, 9, 29), True), (date(2026, 9, 30), False)])
def test_due_in_the_days_before_the_closing_day(today, due):
    assert reminder_due(CLOSES, today, 7) is due
    assert not reminder_due(None, today, 7)


def test_a_dossier_is_incomplete_until_every_sheet_is_transmitted_or_validated():
    assert incomplete([])
    assert incomplete([(SheetKind.FAMILLE, SheetState.APPROVED), (SheetKind.SANITAIRE, SheetState.DRAFT)])
    assert not incomplete([(SheetKind.FAMILLE, SheetState.APPROVED), (SheetKind.SANITAIRE, SheetState.SUBMITTED)])
    assert reason_key("2026-2027") == "dossier:2026-2027"


def test_the_closing_day_falls_within_the_school_year():
    assert closing_day_refusal("2026-2027", CLOSES) is None
    assert closing_day_refusal("2026-2027", date(1999, 1, 1))
    assert closing_day_refusal("2026", CLOSES)
