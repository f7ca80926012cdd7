"""Every message type the portal publishes, by routing key."""

from __future__ import annotations

from contracts.absences import BookingAbsenceJustifiedV1, BookingAbsenceJustifiedV2
from contracts.auth import (
    AuthAccountCreatedV1,
    AuthFamilyChangedV1,
    AuthFamilyChangedV2,
    AuthFamilyContactsV1,
    AuthStructureChangedV1,
)
from contracts.billing import (
    BillingConsumptionRecordedV1,
    BillingInvoiceIssuedV1,
    BillingPaymentReceivedV1,
    BillingTariffPublishedV1,
)
from contracts.booking import (
    BookingStateV1,
    BookingTransmittedV1,
    BookingTransmittedV2,
    BookingWaitlistPromotedV1,
    BookingWaitlistPromotedV2,
)
from contracts.closures import BookingClosedV1, BookingClosureNoticeV1, BookingReopenedV1
from contracts.consistency import (
    AuthFactsDigestV1,
    BookingFactsDigestV1,
    ConsistencyCheckRequestedV1,
    ConsistencyVerdictV1,
    DossierFactsDigestV1,
)
from contracts.dossier import (
    DossierFamilyUpdatedV1,
    DossierHouseRulesPublishedV1,
    DossierHouseRulesSignedV1,
    DossierReminderV1,
    DossierSheetReviewedV1,
    DossierSheetReviewedV2,
    DossierSheetSubmittedV1,
)
from contracts.envelope import Envelope, Message
from contracts.notify import NotifyMailSentV1, NotifySendV1
from contracts.reminders import BookingReminderDueV1, DossierClosingReminderV1

MESSAGES: tuple[type[Message], ...] = (
    AuthStructureChangedV1, AuthAccountCreatedV1, AuthFamilyChangedV1, AuthFamilyChangedV2, AuthFamilyContactsV1,
    BookingTransmittedV1, BookingTransmittedV2, BookingWaitlistPromotedV1, BookingWaitlistPromotedV2,
    DossierHouseRulesSignedV1, DossierSheetReviewedV1,
    DossierSheetReviewedV2, DossierHouseRulesPublishedV1, DossierReminderV1,
    DossierFamilyUpdatedV1, DossierSheetSubmittedV1, BillingTariffPublishedV1, BillingConsumptionRecordedV1, BillingInvoiceIssuedV1,
    BillingPaymentReceivedV1, NotifySendV1, NotifyMailSentV1,
    BookingStateV1, ConsistencyCheckRequestedV1, AuthFactsDigestV1, DossierFactsDigestV1, BookingFactsDigestV1,
    ConsistencyVerdictV1,
    BookingClosedV1, BookingReopenedV1, BookingClosureNoticeV1,  # issue 19: mass closure
    BookingAbsenceJustifiedV1, BookingAbsenceJustifiedV2,  # issue 19: declared absence
    BookingReminderDueV1, DossierClosingReminderV1,  # issue 19: reminders
)

BY_ROUTING_KEY: dict[str, type[Message]] = {m.routing_key(): m for m in MESSAGES}


def envelope_model(message: type[Message]) -> type[Envelope]:
    return Envelope[message]  # type: ignore[valid-type]
