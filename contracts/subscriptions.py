"""Who in the portal subscribes to what: the portal's part of the bus registry (docs/adr/0006), as data.

Every service's image carries `contracts`, so every outbox relay knows which queues an event must reach
without importing the other services. Each service declares the same list in its `app.py` (a test keeps
the two equal); external subscribers come from configuration (PORTAIL_TOPOLOGY_SUBSCRIBERS)."""

from __future__ import annotations

from contracts.absences import BookingAbsenceJustifiedV1
from contracts.auth import AuthFamilyChangedV1, AuthFamilyContactsV1, AuthStructureChangedV1
from contracts.billing import BillingPaymentReceivedV1, BillingTariffPublishedV1
from contracts.booking import BookingStateV1, BookingTransmittedV1, BookingWaitlistPromotedV1
from contracts.closures import BookingClosureNoticeV1
from contracts.consistency import (
    AuthFactsDigestV1,
    BookingFactsDigestV1,
    ConsistencyCheckRequestedV1,
    DossierFactsDigestV1,
)
from contracts.dossier import (
    DossierFamilyUpdatedV1,
    DossierHouseRulesPublishedV1,
    DossierHouseRulesSignedV1,
    DossierReminderV1,
    DossierSheetReviewedV1,
)
from contracts.envelope import Message
from contracts.notify import NotifySendV1
from contracts.reminders import BookingReminderDueV1, DossierClosingReminderV1

SUBSCRIPTIONS: dict[str, tuple[type[Message], ...]] = {
    "auth": (ConsistencyCheckRequestedV1,),
    "booking": (AuthStructureChangedV1, AuthFamilyChangedV1, DossierHouseRulesSignedV1, DossierHouseRulesPublishedV1,
                BillingTariffPublishedV1, DossierFamilyUpdatedV1, ConsistencyCheckRequestedV1, AuthFactsDigestV1,
                DossierFactsDigestV1),
    "dossier": (AuthStructureChangedV1, AuthFamilyChangedV1, ConsistencyCheckRequestedV1, AuthFactsDigestV1),
    "notify": (NotifySendV1, AuthFamilyContactsV1, BookingTransmittedV1, BookingWaitlistPromotedV1,
               DossierSheetReviewedV1, BillingPaymentReceivedV1, AuthFactsDigestV1, DossierReminderV1,
               BookingClosureNoticeV1, BookingAbsenceJustifiedV1, BookingReminderDueV1, DossierClosingReminderV1),
    "billing": (BookingTransmittedV1, AuthFamilyChangedV1, AuthStructureChangedV1, DossierFamilyUpdatedV1,
                BookingStateV1, AuthFactsDigestV1, DossierFactsDigestV1, BookingFactsDigestV1,
                BookingAbsenceJustifiedV1),
}
