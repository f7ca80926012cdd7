from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from uuid import UUID

from services.dossier.domain.archive import family_archive, sanitise_name


def open_zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def test_content() -> None:
    sheets = [
        ("famille", {"city": "Lyon", "birth_date": date(1985, 4, 12)}),
        ("sanitaire-Léa", {"allergies": "Arachides", "id": UUID(int=1)}),
    ]
    documents = [("attestation.pdf", b"%PDF-1.7"), ("carnet Léa.png", b"\x89PNG")]
    archive = open_zip(family_archive(sheets, documents))
    assert archive.namelist() == [
        "LISEZMOI.txt",
        "fiches/famille.json",
        "fiches/sanitaire-Lea.json",
        "pieces/attestation.pdf",
        "pieces/carnet_Lea.png",
    ]
    text = archive.read("fiches/sanitaire-Lea.json").decode()
    assert json.loads(text) == {"allergies": "Arachides", "id": "00000000-0000-0000-0000-000000000001"}
    assert "\n  " in text  # pretty-printed
    assert json.loads(archive.read("fiches/famille.json")) == {"city": "Lyon", "birth_date": "1985-04-12"}
    assert archive.read("pieces/carnet_Lea.png") == b"\x89PNG"
    readme = archive.read("LISEZMOI.txt").decode()
    assert "dossier famille" in readme and "fiches" in readme and "pieces" in readme
    assert archive.testzip() is None


def test_non_ascii_kept_in_json() -> None:
    archive = open_zip(family_archive([("f", {"city": "Besançon"})], []))
    assert "Besançon" in archive.read("fiches/f.json").decode()


def test_deterministic() -> None:
    sheets = [("famille", {"a": 1, "b": [1, 2]})]
    documents = [("x.pdf", b"%PDF-")]
    assert family_archive(sheets, documents) == family_archive(sheets, documents)
    for info in open_zip(family_archive(sheets, documents)).infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)


def test_path_traversal_sanitised() -> None:
    archive = open_zip(
        family_archive([("../../etc/passwd", {})], [("../../etc/passwd", b"x"), ("/abs", b"y")])
    )
    names = archive.namelist()
    assert names == ["LISEZMOI.txt", "fiches/etc_passwd.json", "pieces/etc_passwd", "pieces/abs"]
    for name in names:
        assert ".." not in name and not name.startswith("/") and "\\" not in name


def test_sanitise_name() -> None:
    assert sanitise_name("../../etc/passwd") == "etc_passwd"
    assert sanitise_name("..") == "fichier"
    assert sanitise_name("") == "fichier"
    assert sanitise_name("C:\\Windows\\system32") == "C_Windows_system32"
    assert sanitise_name(".bashrc") == "bashrc"
    assert sanitise_name("Ordonnance Dr Müller (1).pdf") == "Ordonnance_Dr_Muller_1_.pdf"
    long = sanitise_name("a" * 300 + ".pdf")
    assert len(long) == 100 and long.endswith(".pdf")


def test_duplicates_made_unique() -> None:
    archive = open_zip(
        family_archive([("x", {}), ("x", {})], [("a.pdf", b"1"), ("a.pdf", b"2"), ("a/pdf", b"3")])
    )
    assert archive.namelist() == [
        "LISEZMOI.txt",
        "fiches/x.json",
        "fiches/x-2.json",
        "pieces/a.pdf",
        "pieces/a-2.pdf",
        "pieces/a_pdf",
    ]
