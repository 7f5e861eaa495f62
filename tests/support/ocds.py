"""OCDS test material: 30 real Contracts Finder release packages (OGL v2; see tests/fixtures/contracts_finder)."""

from pathlib import Path

CONTRACTS_FINDER = Path(__file__).resolve().parents[1] / "fixtures" / "contracts_finder"
CONTRACTS_FINDER_FILES = sorted(CONTRACTS_FINDER.glob("*.json"))
