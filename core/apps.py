from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "core"

    def ready(self):
        # The embedded defaults live under var/: make sure their folders exist
        # so a fresh checkout runs without a setup step.
        folders = [settings.FILE_UPLOAD_TEMP_DIR, settings.STATIC_ROOT]
        folders += [v for k, v in settings.CELERY_BROKER_TRANSPORT_OPTIONS.items() if k.endswith("folder")
                    or k.startswith("data_folder")]
        for folder in folders:
            Path(folder).mkdir(parents=True, exist_ok=True)
