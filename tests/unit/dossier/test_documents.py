from __future__ import annotations

import pytest

from services.dossier.domain.documents import (
    DOCUMENT_LABELS,
    HEALTH_DOCUMENTS,
    MAX_FILE_BYTES,
    SHEET_OF,
    DocumentKind,
    UploadRefused,
    check_upload,
    missing_documents,
    required_documents,
    sniff,
)
from services.dossier.domain.sheets import SheetKind, parse

D = DocumentKind
PDF = b"%PDF-1.7\n" + b"x" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"x" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 100


def test_tables() -> None:
    assert set(DOCUMENT_LABELS) == set(SHEET_OF) == set(D)
    assert HEALTH_DOCUMENTS == {D.CARNET_VACCINATION, D.CONTRE_INDICATION, D.ORDONNANCE, D.PAI}
    assert SHEET_OF[D.JUGEMENT_DIVORCE] is SheetKind.FAMILLE
    assert SHEET_OF[D.ATTESTATION_ASSURANCE] is SheetKind.ASSURANCE
    assert D.CONTRE_INDICATION.value == "certificat_contre_indication"


def test_sniff() -> None:
    assert sniff(PDF) == "application/pdf"
    assert sniff(JPEG) == "image/jpeg"
    assert sniff(PNG) == "image/png"
    assert sniff(b"") is None
    assert sniff(b"\x89PNG") is None  # truncated signature
    assert sniff(b"GIF89a") is None


@pytest.mark.parametrize("already", [0, 1, 2, 3])
def test_up_to_four_files(already: int) -> None:
    assert check_upload(D.PAI, already, PDF) == "application/pdf"


@pytest.mark.parametrize("already", [4, 5])
def test_fifth_file_refused(already: int) -> None:
    with pytest.raises(UploadRefused) as caught:
        check_upload(D.PAI, already, PDF)
    assert (
        caught.value.message == "4 fichiers au plus par pièce : supprimez-en un avant d'en ajouter un autre."
    )


def test_size_limit_edges() -> None:
    exactly = PDF[:9] + b"x" * (MAX_FILE_BYTES - 9)
    assert len(exactly) == 2000 * 1024
    assert check_upload(D.JUSTIFICATIF_QF, 0, exactly) == "application/pdf"
    with pytest.raises(UploadRefused) as caught:
        check_upload(D.JUSTIFICATIF_QF, 0, exactly + b"x")
    assert caught.value.message == "Le fichier dépasse 2000 Ko (taille : 2 001 Ko)."


def test_size_shown() -> None:
    with pytest.raises(UploadRefused) as caught:
        check_upload(D.JUSTIFICATIF_QF, 0, b"%PDF-" + b"x" * (2345 * 1024 - 5))
    assert caught.value.message == "Le fichier dépasse 2000 Ko (taille : 2 345 Ko)."


def test_content_wins_over_name() -> None:
    # a PNG uploaded as "attestation.pdf" is a PNG; the function never sees the name
    assert check_upload(D.ATTESTATION_ASSURANCE, 0, PNG) == "image/png"
    assert check_upload(D.ATTESTATION_ASSURANCE, 0, JPEG) == "image/jpeg"


@pytest.mark.parametrize("content", [b"Ceci est un texte, pas un PDF", b"<html>%PDF-</html>", b"MZ\x90\x00"])
def test_other_types_refused(content: bytes) -> None:
    with pytest.raises(UploadRefused) as caught:
        check_upload(D.ORDONNANCE, 0, content)
    assert caught.value.message == "Type de fichier non accepté : seuls les PDF, JPEG et PNG sont acceptés."


def test_empty_refused() -> None:
    with pytest.raises(UploadRefused) as caught:
        check_upload(D.ORDONNANCE, 0, b"")
    assert caught.value.message == "Le fichier est vide."


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        check_upload("photo", 0, PDF)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        check_upload(D.PAI, -1, PDF)


def test_required_documents_family_and_insurance() -> None:
    assert required_documents(SheetKind.FAMILLE, parse(SheetKind.FAMILLE, {})) == [D.JUSTIFICATIF_QF]
    assert required_documents(SheetKind.ASSURANCE, parse(SheetKind.ASSURANCE, {})) == [
        D.ATTESTATION_ASSURANCE
    ]
    for kind in (
        SheetKind.AUTRE_RESPONSABLE,
        SheetKind.AUTORISATIONS,
        SheetKind.CONTACTS,
        SheetKind.REGLEMENT,
    ):
        assert required_documents(kind, parse(kind, {})) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, []),
        ({"vaccinated": True}, [D.CARNET_VACCINATION]),
        ({"vaccinated": False}, [D.CONTRE_INDICATION]),
        ({"vaccinated": True, "treatment": "Ventoline"}, [D.CARNET_VACCINATION, D.ORDONNANCE]),
        ({"vaccinated": True, "treatment": "  "}, [D.CARNET_VACCINATION]),
        ({"vaccinated": False, "pai": True}, [D.CONTRE_INDICATION, D.PAI]),
        ({"vaccinated": True, "pai": False}, [D.CARNET_VACCINATION]),
        (
            {"vaccinated": True, "treatment": "Insuline", "pai": True},
            [D.CARNET_VACCINATION, D.ORDONNANCE, D.PAI],
        ),
    ],
)
def test_required_documents_health(data: dict, expected: list[DocumentKind]) -> None:
    assert required_documents(SheetKind.SANITAIRE, parse(SheetKind.SANITAIRE, data)) == expected


def test_missing_documents() -> None:
    sheet = parse(SheetKind.SANITAIRE, {"vaccinated": True, "pai": True})
    assert missing_documents(SheetKind.SANITAIRE, sheet, {D.CARNET_VACCINATION: 2}) == [
        "Pièce à joindre : Copie du PAI"
    ]
    assert missing_documents(SheetKind.SANITAIRE, sheet, {D.CARNET_VACCINATION: 1, D.PAI: 1}) == []
