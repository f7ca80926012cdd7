"""Staff's side of the delivery log: a family's mails and their state (the family's page), the failed mails
of their structures with their recipients, and sending a failed mail again (who sees which delivery:
services/notify/access.py; which can go out again: services/notify/domain/resend.py)."""

from __future__ import annotations

import uuid

from contracts.errors import Invalid, NotFound
from kit.identity import Identity
from services.notify import access
from services.notify.domain.resend import resend_refusal
from services.notify.store.resends import LoggedMail

MAIL_NOT_FOUND = "Courriel introuvable."


async def family_mails(store, who: Identity, family_id: uuid.UUID) -> list[LoggedMail]:
    scope = access.delivery_scope(who)
    async with store.connection() as conn:
        rows = await store.family_mails(conn, family_id, scope.everything, list(scope.structures))
    return [r for r in rows if access.may_see_delivery(who, r.structure_id)]


async def failed_mails(store, who: Identity, structure_id: uuid.UUID | None) -> list[LoggedMail]:
    """The failed mails of the caller's structures (of one of them, when named)."""
    scope = access.delivery_scope(who)
    structures = list(scope.structures)
    if structure_id is not None:
        if not access.may_see_delivery(who, structure_id):
            raise NotFound("Structure introuvable.")
        scope, structures = access.DeliveryScope(everything=False), [structure_id]
    async with store.connection() as conn:
        rows = await store.failed_mails(conn, scope.everything, structures)
    return [r for r in rows if access.may_see_delivery(who, r.structure_id)]


async def send_again(store, who: Identity, delivery_id: int) -> LoggedMail:
    """A failed mail of the caller's structures goes out again (Invalid when it cannot)."""
    access.delivery_scope(who)
    async with store.transaction() as conn:
        found = await store.logged_mail(conn, delivery_id, lock=True)
        if found is None or not access.may_see_delivery(who, found.structure_id):
            raise NotFound(MAIL_NOT_FOUND)
        refusal = resend_refusal(found.status, found.template, found.body_kept)
        if refusal:
            raise Invalid(refusal)
        await store.send_again(conn, delivery_id, who.subject)
    return found
