"""kombu's Redis transport, with one Redis client per channel instead of one per command.

kombu's Redis channel builds a new ``redis.Redis`` object (on the channel's
shared connection pool) for every command it sends outside the consumer's
loop: every publish, and in a worker every acknowledgement and every
delivery's bookkeeping. redis-py builds a table of some 170 response callbacks
in each client's constructor, about 65 µs of CPU each time (issue 19:
~1 % of an upload, more of a small task's hand-off in the worker's main
process). A client holds no connection of its own — it borrows from the pool
per command, and the pool resets itself after a fork — so one per channel
(and per pool, should the channel replace its pool) does the same work.
``CELERY_BROKER_TRANSPORT`` names this class when the broker is Redis.
"""

from contextlib import contextmanager

from kombu.transport import redis


class Channel(redis.Channel):
    _shared_client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        pool = self.pool
        shared = self._shared_client
        if shared is None or shared.connection_pool is not pool:
            shared = self._shared_client = self._create_client()
        yield shared


class Transport(redis.Transport):
    Channel = Channel
