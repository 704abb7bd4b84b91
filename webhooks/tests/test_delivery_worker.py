"""Webhooks delivered from the event log by a real Celery worker on the ``webhooks`` queue."""

import json
import time

import pytest
from django.conf import settings
from standardwebhooks.webhooks import Webhook

from testing.brokers import flush_redis
from testing.clients import client_for
from testing.factories import UserFactory
from testing.receivers import webhook_receiver
from testing.uploads import upload
from testing.workers import celery_worker, stack_env
from webhooks.models import Delivery

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
WEBHOOKS = "/api/v1/webhooks/"


@pytest.fixture
def webhooks_worker(tmp_path, media_root, settings):
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        pytest.skip("end-to-end worker tests need the Redis broker (make test sets CELERY_BROKER_URL)")
    flush_redis(url)
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True  # the receiver is on loopback
    env = stack_env(var_dir=tmp_path / "var", media_root=media_root, broker_url=url,
                    WEBHOOKS_ALLOW_PRIVATE_ADDRESSES="true")
    (tmp_path / "var").mkdir()
    with celery_worker(queues=[settings.WEBHOOKS_QUEUE], env=env, log_dir=tmp_path / "var", name="webhooks",
                       concurrency=2) as worker:
        yield worker
    flush_redis(url)


def test_event_is_delivered_signed_and_retried_with_the_same_id(webhooks_worker):
    client = client_for(UserFactory())
    with webhook_receiver([(500, {}), (200, {})]) as receiver:
        endpoint = client.post(WEBHOOKS, {"url": receiver.url, "events": ["file.created"]}).json()
        created = upload(client, b"some words\n", "a.txt").json()
        first = receiver.next()
        started = time.monotonic()
        retried = receiver.next(timeout=30)
        waited = time.monotonic() - started
    hook = Webhook(endpoint["secret"])
    payloads = [hook.verify(request.body, request.headers) for request in (first, retried)]
    assert payloads[0] == payloads[1]
    assert payloads[0]["type"] == "file.created" and payloads[0]["file"]["id"] == created["id"]
    assert first.headers["webhook-id"] == retried.headers["webhook-id"] == payloads[0]["id"]
    assert 3 < waited < 20  # the first backoff step is about 5 s
    deadline = time.monotonic() + 10
    while Delivery.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    log = client.get(f"{WEBHOOKS}{endpoint['id']}/deliveries/").json()
    assert [(d["event_id"], d["attempt"], d["status_code"]) for d in log] == [
        (payloads[0]["id"], 2, 200), (payloads[0]["id"], 1, 500)]


def test_only_subscribed_types_are_delivered_and_ping_works(webhooks_worker):
    client = client_for(UserFactory())
    with webhook_receiver() as receiver:
        endpoint = client.post(WEBHOOKS, {"url": receiver.url, "events": ["file.deleted"]}).json()
        created = upload(client, b"some words\n", "a.txt").json()
        assert client.delete(f"/api/v1/files/{created['id']}/").status_code == 204
        deleted = json.loads(receiver.next().body)
        assert (deleted["type"], deleted["file"]) == ("file.deleted", {"id": created["id"]})
        answer = client.post(f"{WEBHOOKS}{endpoint['id']}/ping/")
        assert answer.status_code == 202
        ping = receiver.next()
        assert Webhook(endpoint["secret"]).verify(ping.body, ping.headers)["type"] == "ping"
        assert ping.headers["webhook-id"] == answer.json()["webhook_id"]
        time.sleep(0.5)
        assert receiver.requests.empty()  # file.created was not subscribed
    assert settings.WEBHOOKS_QUEUE == "webhooks"
