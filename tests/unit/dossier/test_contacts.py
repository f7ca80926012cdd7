from __future__ import annotations

from uuid import uuid4

import pytest

from services.dossier.domain.contacts import check_rename, deletion_refusal
from services.dossier.domain.states import DossierError

RENAME = "Le nom et le prénom d'un contact ne sont pas modifiables : supprimez-le et recréez-le."


def test_same_names_allowed() -> None:
    check_rename("Martin", "Jeanne", "Martin", "Jeanne")
    check_rename("Martin", "Jeanne", "  Martin ", "Jeanne  ")


@pytest.mark.parametrize(
    ("last", "first"), [("Martine", "Jeanne"), ("Martin", "Jean"), ("MARTIN", "Jeanne"), ("Martin", "jeanne")]
)
def test_rename_refused(last: str, first: str) -> None:
    with pytest.raises(DossierError) as caught:
        check_rename("Martin", "Jeanne", last, first)
    assert caught.value.message == RENAME


def test_deletion() -> None:
    contact, other = uuid4(), uuid4()
    lea, hugo, zoe = uuid4(), uuid4(), uuid4()
    names = {lea: "Léa", hugo: "Hugo", zoe: "Zoé"}
    links = {lea: [contact, other], hugo: iter([contact]), zoe: []}
    assert deletion_refusal(contact, {lea: [contact], hugo: [contact]}, names) is not None
    assert deletion_refusal(contact, links, names) == (
        "Retirez d'abord ce contact de la fiche de contacts de : Léa, Hugo."
    )
    assert deletion_refusal(contact, {lea: [other], hugo: [], zoe: []}, names) is None
    assert deletion_refusal(contact, {lea: [other], hugo: []}, names) is None
    assert deletion_refusal(contact, {}, names) is None
