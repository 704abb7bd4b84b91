from django.core.management.base import BaseCommand

from files.processing import files_sweep


class Command(BaseCommand):
    help = "Re-enqueue files left pending and resolve files stuck in processing (what Celery beat runs)."

    def handle(self, *args, **options):
        counts = files_sweep()
        self.stdout.write(f"requeued {counts['requeued']}, failed {counts['failed']}")
