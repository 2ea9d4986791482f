"""The ticket domain: a ticket's whole life, from the escalated question to the last email.

Read it in this order; each module imports only those above it:

- ``model``: the values (Ticket, NewTicket, HistoryEntry, Attachment), numbers and reference codes
- ``lifecycle``: the statuses and the table of actions that move between them
- ``business_days``: the auto-close deadline (4 business days, holidays, time zone)
- ``attachments``: checking and storing the files a supplier sends
- ``hooks``, ``webhooks``, ``outbox``: ticket events, written with each change and delivered afterwards
- ``mail.messages``, ``mail.outgoing``: the supplier's emails, queued with each change and sent afterwards
- ``store``: creates, reads and changes tickets (one transaction per change: ticket, history, events, mail)
- ``mail.incoming`` and its receivers: what suppliers send back by email, stored raw, then matched and applied
"""
from .lifecycle import ACTIONS, ACTIVE, PRIORITIES, STATUSES
from .model import Attachment, HistoryEntry, NewTicket, Ticket

__all__ = ["ACTIONS", "ACTIVE", "PRIORITIES", "STATUSES", "Attachment", "HistoryEntry", "NewTicket", "Ticket"]
