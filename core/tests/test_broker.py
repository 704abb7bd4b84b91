"""The Redis broker transport (core.broker) publishes through one Redis client per channel, and works."""

import uuid

import pytest
from celery import current_app
from kombu import Connection, Queue

from core import broker


@pytest.fixture
def connection(broker_url):
    with Connection(broker_url, transport="core.broker:Transport") as conn:
        yield conn


def test_the_apps_redis_broker_uses_this_transport(settings):
    assert settings.CELERY_BROKER_TRANSPORT == "core.broker:Transport"
    assert current_app.conf.broker_transport == "core.broker:Transport"


def test_one_client_serves_every_command_of_a_channel_and_messages_arrive(connection):
    channel = connection.default_channel
    assert isinstance(channel, broker.Channel)
    queue = Queue(f"broker-test-{uuid.uuid4().hex}", routing_key="x")
    queue(channel).declare()
    producer = connection.Producer(channel)
    clients = set()
    for index in range(3):
        producer.publish({"n": index}, routing_key=queue.name, serializer="json")
        with channel.conn_or_acquire() as client:
            clients.add(id(client))
    assert len(clients) == 1
    received = []
    with connection.Consumer(queue, callbacks=[lambda body, message: (received.append(body), message.ack())]):
        while len(received) < 3:
            connection.drain_events(timeout=5)
    assert received == [{"n": 0}, {"n": 1}, {"n": 2}]
    queue(channel).delete()


def test_a_replaced_pool_gets_a_new_client(connection):
    channel = connection.default_channel
    with channel.conn_or_acquire() as first:
        pass
    channel._pool = None  # what the channel does after a fork or a reconnect
    with channel.conn_or_acquire() as second:
        assert second is not first
        assert second.connection_pool is channel.pool
        assert second.ping()
