"""Print the pinned requirements of pyproject.toml, one per line (``--dev`` adds the dev extra)."""

import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
requirements = list(project["dependencies"])
if "--dev" in sys.argv:
    requirements += project["optional-dependencies"]["dev"]
print("\n".join(requirements))
