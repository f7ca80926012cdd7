"""kit/excel.py, the one CSV writer for Excel in French (the consumptions' export, the rosters)."""

from __future__ import annotations

import csv
import io

from kit.excel import BOM, excel_csv, safe_text


def test_excel_csv_is_utf8_with_bom_semicolons_and_crlf():
    data = excel_csv(("Nom", "Prénom", "Régime"), [["DURAND", "Léo", "Sans porc; végétarien"], ["É", "a\nb", ""]])
    assert data.startswith(BOM.encode("utf-8"))
    text = data.decode("utf-8").removeprefix(BOM)
    assert text.startswith("Nom;Prénom;Régime\r\n")
    assert list(csv.reader(io.StringIO(text, newline=""), delimiter=";")) == [
        ["Nom", "Prénom", "Régime"], ["DURAND", "Léo", "Sans porc; végétarien"], ["É", "a\nb", ""]]


def test_a_typed_text_is_never_run_as_a_formula():
    assert [safe_text(v) for v in ("=1+1", "+33", "-x", "@SUM", "Léo", "")] == ["'=1+1", "'+33", "'-x", "'@SUM",
                                                                               "Léo", ""]
