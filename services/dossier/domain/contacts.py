"""The rules of the family's contacts (people other than the guardians who may pick a child up
or be called in an emergency): names are fixed once created, and a contact is deleted only
once it has been removed from the contacts sheet of every child."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID

from .states import DossierError

__all__ = ["RENAME_REFUSED", "check_rename", "children_linked", "deletion_refusal"]

RENAME_REFUSED = "Le nom et le prénom d'un contact ne sont pas modifiables : supprimez-le et recréez-le."
UNKNOWN_CHILD = "enfant inconnu"


def check_rename(old_last: str, old_first: str, new_last: str, new_first: str) -> None:
    """DossierError when an edit of a contact changes its last or first name (compared trimmed,
    case-sensitive: a change of case is a change)."""
    if (old_last.strip(), old_first.strip()) != (new_last.strip(), new_first.strip()):
        raise DossierError(RENAME_REFUSED)


def children_linked(contact_id: UUID, links_by_child: Mapping[UUID, Iterable[UUID]]) -> list[UUID]:
    """The children whose contacts sheet still names the contact, in the mapping's order."""
    return [child for child, contacts in links_by_child.items() if contact_id in set(contacts)]


def deletion_refusal(
    contact_id: UUID,
    links_by_child: Mapping[UUID, Iterable[UUID]],
    child_names: Mapping[UUID, str],
) -> str | None:
    """None when the contact may be deleted, else the French message naming the children
    from whose contacts sheet it must be removed first."""
    children = children_linked(contact_id, links_by_child)
    if not children:
        return None
    names = ", ".join(child_names.get(child, UNKNOWN_CHILD) for child in children)
    return f"Retirez d'abord ce contact de la fiche de contacts de : {names}."
