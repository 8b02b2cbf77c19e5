"""Programs from Debian's packages that some tests need: CI installs them (scripts/test.sh) and a
missing one fails there; on a developer's machine without them, those tests are skipped."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: scripts/test.sh installs Debian's {package} package")
        pytest.skip(f"{name} (Debian package {package}) is not installed")
    return path
