"""The ASGI application uvicorn serves (``make run``, and the production ``events`` service).

Two ways in, one Django project:

- ``/api/v1/events/stream/`` goes to Django's ASGI handler, where the async
  stream view waits on the event loop: an open stream costs a coroutine, not
  a thread or a worker.
- Everything else goes to the Django WSGI application through a2wsgi, on a
  pool of ``WEB_THREADS`` threads. a2wsgi hands the body to ``wsgi.input`` as
  it arrives, so a slow upload holds one thread for as long as its bytes take
  (there is no request timeout to kill it) while the event loop keeps
  accepting and serving other requests. The sync views, their middleware and
  their database connections stay exactly as under gunicorn.
"""

import os

from a2wsgi import WSGIMiddleware
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

STREAM_PATH = "/api/v1/events/stream/"

django_asgi = get_asgi_application()
from events.stream import close_notifier  # noqa: E402 - needs the apps that get_asgi_application sets up

django_wsgi = WSGIMiddleware(get_wsgi_application(), workers=int(os.environ.get("WEB_THREADS", "8")))


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == STREAM_PATH:
        return await django_asgi(scope, receive, send)
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    return await django_wsgi(scope, receive, send)


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await close_notifier()
            await send({"type": "lifespan.shutdown.complete"})
            return
