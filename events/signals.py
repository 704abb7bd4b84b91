"""``event_recorded(event)``: sent inside the transaction that recorded ``event``.

Receivers that act on the outside world (webhooks) defer their work with
``transaction.on_commit``, so nothing is sent for a change that rolls back.
"""

from django.dispatch import Signal

event_recorded = Signal()
