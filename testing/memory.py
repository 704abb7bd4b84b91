"""Peak memory of one processor run, measured in a subprocess from /proc (as the benchmarks do).

The child sets up Django (the test settings, from the environment), imports
everything the processor needs, resets its peak RSS to the current RSS
(``/proc/self/clear_refs``), runs the processor on a file, and reports
``VmHWM`` minus that baseline: what processing this file cost, nothing else.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys
import django
django.setup()
from django.core.files.storage import FileSystemStorage
from files.processors import processor_for
from files.processors.base import ProcessingError, Source

folder, name, content_type = sys.argv[1:4]
source = Source(storage=FileSystemStorage(location=folder), name=name, content_type=content_type,
                size=(__import__("pathlib").Path(folder) / name).stat().st_size)
processor = processor_for(content_type)

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])

with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # VmHWM := VmRSS
baseline = status("VmRSS")
try:
    result, error = processor.process(source), None
    result.pop("thumbnail", None)
except ProcessingError as exc:
    result, error = None, str(exc)
print(json.dumps({"result": result, "error": error, "growth_mib": (status("VmHWM") - baseline) / 1024}))
"""


def processing_peak(path: Path, content_type: str, env: dict[str, str] | None = None, timeout: float = 120) -> dict:
    """Run the processor for ``content_type`` on ``path`` in a fresh process:
    ``{"result", "error", "growth_mib"}`` (peak RSS growth while processing, in MiB)."""
    environment = {**os.environ, **(env or {})}
    done = subprocess.run([sys.executable, "-c", CHILD, str(path.parent), path.name, content_type],
                          cwd=Path(__file__).resolve().parent.parent, env=environment, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
