"""The app's settings (same middleware, database, broker, storage) with the reference URLs."""

from core.settings import *  # noqa: F403

ROOT_URLCONF = "bench.reference.urls"
