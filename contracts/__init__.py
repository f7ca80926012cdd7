"""The published, versioned contract of the portal's bus (see contracts/asyncapi.json)."""

from contracts.booking import BookingTransmittedV1, TransmittedLine
from contracts.envelope import INTERNAL, PUBLIC, Envelope, Message, wrap
from contracts.notify import NotifySendV1

__all__ = [
           "INTERNAL",
           "PUBLIC",
           "BookingTransmittedV1",
           "Envelope",
           "Message",
           "NotifySendV1",
           "TransmittedLine",
           "wrap",
]
