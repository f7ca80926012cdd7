"""The roster pages' French: the day named, the flags written, the day summary's sentence."""

from __future__ import annotations

from datetime import date

from services.gateway.pages.staff.rosters import NOT_ANSWERED, child_row, day_label, summary_sentence

TODAY = date(2027, 2, 3)


def test_the_day_is_tomorrow_today_or_written_out():
    assert day_label(date(2027, 2, 4), TODAY) == "Demain"
    assert day_label(TODAY, TODAY) == "Aujourd'hui"
    assert day_label(date(2027, 2, 8), TODAY) == "Lundi 8 Février 2027"


def test_the_summary_sentence_is_the_kitchens():
    counts = {"meals": 212, "no_pork": 14, "vegetarian": 9, "pai": 3}
    assert summary_sentence("Demain", counts) == "Demain : 212 repas dont 14 sans porc, 9 végétariens, 3 PAI"
    one = {"meals": 1, "no_pork": 0, "vegetarian": 1, "pai": 0}
    assert summary_sentence("Aujourd'hui", one) == "Aujourd'hui : 1 repas dont 0 sans porc, 1 végétarien, 0 PAI"


def test_a_childs_flags_as_the_roster_writes_them():
    child = {"child_id": "c1", "first_name": "Léo", "last_name": "DURAND"}
    row = child_row(child, {"pai": True, "diets": ["Sans porc", "Sans gluten"], "image_rights": False,
                            "pick_up": [{"name": "Mamie MARTIN", "relationship": "Grand-mère", "phone": "05 56"}],
                            "emergency": [{"name": "Paul PETIT", "relationship": "", "phone": ""}]})
    assert (row["pai_text"], row["diets"], row["image_text"]) == ("Oui", "Sans porc, Sans gluten", "Non")
    assert row["pick_up"] == ["Mamie MARTIN (Grand-mère) 05 56"] and row["emergency"] == ["Paul PETIT"]
    none = child_row(child, {"pai": False, "diets": [], "image_rights": None, "pick_up": [], "emergency": []})
    assert (none["pai_text"], none["diets"], none["image_text"]) == ("Non", "—", NOT_ANSWERED)
    unknown = child_row(child, None)  # dossier does not know the child yet
    assert (unknown["pai_text"], unknown["diets"], unknown["pick_up"]) == (NOT_ANSWERED, NOT_ANSWERED, [])
