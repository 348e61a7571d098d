"""Shared fixtures: the repository's examples/ and data/ (tests run from any folder)."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fig2_path() -> str:
    return str(ROOT / "examples" / "fig2.json")


@pytest.fixture
def four_roles_path() -> str:
    return str(ROOT / "data" / "routes" / "four_roles.json")
