"""The Redis databases tests and benchmarks use as broker and cache."""

import redis


def flush_redis(url: str) -> None:
    """Empty the Redis database ``url`` names (and only that one)."""
    with redis.Redis.from_url(url) as client:
        client.flushdb()


def queue_length(url: str, queue: str) -> int:
    """How many messages wait in ``queue`` on the Redis broker at ``url``."""
    with redis.Redis.from_url(url) as client:
        return client.llen(queue)
