from __future__ import annotations

import pytest

from services.dossier.domain.states import (
    STATE_LABELS,
    DossierError,
    SheetState,
    can_edit,
    renew_for_campaign,
    review,
    save_draft,
    submit,
)

S = SheetState
LOCKED = "Cette fiche a été transmise : elle n'est plus modifiable."


def test_labels() -> None:
    assert STATE_LABELS == {
        S.TO_FILL: "À remplir",
        S.DRAFT: "Brouillon",
        S.SUBMITTED: "Transmise, en attente de validation",
        S.APPROVED: "Validée",
        S.REFUSED: "Refusée : à corriger",
    }
    assert S("brouillon") is S.DRAFT


@pytest.mark.parametrize("state", list(S))
def test_can_edit(state: SheetState) -> None:
    assert can_edit(state) == (state in {S.TO_FILL, S.DRAFT, S.REFUSED})
    assert can_edit(state.value) == can_edit(state)


@pytest.mark.parametrize("state", [S.TO_FILL, S.DRAFT, S.REFUSED])
def test_editable_states(state: SheetState) -> None:
    assert save_draft(state) is S.DRAFT
    assert submit(state, []) is S.SUBMITTED


@pytest.mark.parametrize("state", [S.SUBMITTED, S.APPROVED])
def test_locked_states(state: SheetState) -> None:
    with pytest.raises(DossierError) as caught:
        save_draft(state)
    assert caught.value.message == LOCKED
    with pytest.raises(DossierError) as caught:
        submit(state, [])
    assert caught.value.message == LOCKED


def test_submit_lists_missing() -> None:
    with pytest.raises(DossierError) as caught:
        submit(S.DRAFT, ["Adresse", "Code postal"])
    assert caught.value.message == "Pour transmettre la fiche, complétez : Adresse ; Code postal."
    assert caught.value.missing == ["Adresse", "Code postal"]
    assert str(caught.value) == caught.value.message


def test_review() -> None:
    assert review(S.SUBMITTED, True, None) is S.APPROVED
    assert review(S.SUBMITTED, False, "Attestation d'assurance illisible") is S.REFUSED
    for reason in (None, "", "   "):
        with pytest.raises(DossierError) as caught:
            review(S.SUBMITTED, False, reason)
        assert caught.value.message == (
            "Indiquez le motif du refus : la famille en a besoin pour corriger sa fiche."
        )


@pytest.mark.parametrize("state", [S.TO_FILL, S.DRAFT, S.APPROVED, S.REFUSED])
@pytest.mark.parametrize("approve", [True, False])
def test_review_only_submitted(state: SheetState, approve: bool) -> None:
    with pytest.raises(DossierError) as caught:
        review(state, approve, "motif")
    assert caught.value.message == "Seule une fiche transmise peut être validée ou refusée."


@pytest.mark.parametrize("state", list(S))
def test_renew_for_campaign(state: SheetState) -> None:
    assert renew_for_campaign(state) is S.TO_FILL


def test_refused_then_corrected_cycle() -> None:
    state = submit(save_draft(S.TO_FILL), [])
    state = review(state, False, "Date d'échéance dépassée")
    state = submit(save_draft(state), [])
    assert review(state, True, None) is S.APPROVED


def test_unknown_state() -> None:
    with pytest.raises(ValueError):
        can_edit("perdue")
