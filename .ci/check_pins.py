"""Fail if an installed package differs from its pin in a requirements file.

    python .ci/check_pins.py .ci/colab-packages.txt
"""

import re
import sys
from importlib.metadata import PackageNotFoundError, version

changed = []
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, pinned = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line).groups()
    try:
        have = version(name)
    except PackageNotFoundError:
        have = "missing"
    if have != pinned:
        changed.append(f"{name}: Colab has {pinned}, the install left {have}")
print("\n".join(changed) or f"all {sys.argv[1]} pins unchanged")
sys.exit(1 if changed else 0)
