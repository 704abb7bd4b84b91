"""``event_recorded(event)``: sent once ``event`` is recorded, inside the transaction that recorded it
(or, from ``event_record_with`` outside any transaction, right after the statement that committed it).

Receivers that act on the outside world (webhooks) defer their work with
``transaction.on_commit``, so nothing is sent for a change that rolls back.
With ``extra``: the values of the reads registered with
``events.services.event_extra_register``, made in the event's own statement.
"""

from django.dispatch import Signal

event_recorded = Signal()
