"""The gateway's form parsing (services/gateway/web/forms.py): what a page reads from a form, and the French
sentences it refuses bad input with."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from aiohttp import web

from services.gateway.web import forms
from services.gateway.web.forms import FormError


def refused(call) -> FormError:
    with pytest.raises(FormError) as info:
        call()
    return info.value


def test_text_is_stripped_and_cut():
    assert forms.text({"nom": "  Cantine  "}, "nom") == "Cantine"
    assert forms.text({"nom": "x" * 300}, "nom", 120) == "x" * 120
    assert forms.text({}, "nom") == ""


def test_check_boxes_and_yes_no():
    assert all(forms.checked({"c": v}, "c") for v in ("oui", "on", "1", "true"))
    assert not forms.checked({"c": "non"}, "c") and not forms.checked({}, "c")
    assert forms.yes_no("oui") is True and forms.yes_no(" non ") is False and forms.yes_no("") is None


def test_whole_numbers():
    assert forms.integer({"n": " 12 "}, "n", "Places") == 12
    assert forms.integer({}, "n", "Places") is None
    assert refused(lambda: forms.integer({}, "n", "Places", required=True)).messages() == ["Places : à renseigner."]
    assert "un nombre entier est attendu (« douze »)" in refused(lambda: forms.integer({"n": "douze"}, "n", "Places")).detail
    assert refused(lambda: forms.integer({"n": "0"}, "n", "Places", minimum=1)).messages() == ["Places : 1 au minimum."]


@pytest.mark.parametrize("typed", ["2027-02-04", "04/02/2027", "4/2/2027"])
def test_dates_typed_either_way(typed):
    assert forms.day({"d": typed}, "d", "Début") == "2027-02-04"


def test_bad_or_missing_dates():
    assert "date invalide (« 31/02/2027 »)" in refused(lambda: forms.day({"d": "31/02/2027"}, "d", "Début")).detail
    assert forms.day({}, "d", "Début", required=False) is None
    assert refused(lambda: forms.day({}, "d", "Début")).messages() == ["Début : à renseigner."]


def test_iso_dates_of_links():
    assert forms.iso_day("2027-02-04") == date(2027, 2, 4)
    error = refused(lambda: forms.iso_day("hier", "La date de début"))
    assert error.title == "Date invalide" and error.status == 400
    assert error.detail == "La date de début doit être indiquée au format AAAA-MM-JJ."


@pytest.mark.parametrize(("typed", "read"), [("8:30", "08:30"), ("08h05", "08:05"), ("23:59", "23:59")])
def test_hours(typed, read):
    assert forms.hour({"h": typed}, "h", "Heure de début") == read


def test_bad_hour_and_default():
    assert forms.hour({}, "h", "Heure limite", "10:00") == "10:00"
    assert "heure invalide (« 24:00 »)" in refused(lambda: forms.hour({"h": "24:00"}, "h", "Heure")).detail


@pytest.mark.parametrize(("typed", "cents"), [("3,45", 345), ("3.4", 340), ("3", 300), ("1 234,50 €", 123450)])
def test_amounts_in_euros(typed, cents):
    assert forms.cents(typed, "Prix") == cents


@pytest.mark.parametrize("typed", ["-2,98", "trois", "3,456"])
def test_bad_amounts(typed):
    assert refused(lambda: forms.cents(typed, "Prix")).messages() == [
        f"Prix : montant invalide (« {typed} »), exemple : 3,45."]


def test_optional_amount():
    assert forms.cents("  ", "Prix réduit", required=False) is None
    assert refused(lambda: forms.cents("", "Prix")).messages() == ["Prix : à renseigner."]


def test_months():
    assert forms.month(None, date(2027, 2, 4)) == "2027-02"
    assert forms.month("2026-12", date(2027, 2, 4)) == "2026-12"
    for bad in ("2026-13", "26-01", "1999-01"):
        error = refused(lambda bad=bad: forms.month(bad, date(2027, 2, 4)))
        assert error.title == "Mois invalide"
    assert forms.shift_month("2026-12", 1) == "2027-01" and forms.shift_month("2027-01", -1) == "2026-12"


def test_identifiers():
    known = uuid.uuid4()
    assert forms.uuid_or_404(str(known)) == known
    with pytest.raises(web.HTTPNotFound):
        forms.uuid_or_404("pas-un-id")
    assert forms.is_uuid(str(known)) and not forms.is_uuid("") and not forms.is_uuid("x")
