from pigp.passerelle.models.accounts import ApiToken, ServiceAccount, SshKey
from pigp.passerelle.models.flux import (
    AcceptedBordereau,
    Canal,
    Direction,
    Flux,
    FluxEvent,
    FluxFinding,
    IntegrationFlux,
    KindFlux,
    ReceivedPj,
    StatutFlux,
)
from pigp.passerelle.models.mailbox import MailboxItem, NotificationPreference

__all__ = [
    "AcceptedBordereau",
    "ApiToken",
    "Canal",
    "Direction",
    "Flux",
    "FluxEvent",
    "FluxFinding",
    "IntegrationFlux",
    "KindFlux",
    "MailboxItem",
    "NotificationPreference",
    "ReceivedPj",
    "ServiceAccount",
    "SshKey",
    "StatutFlux",
]
