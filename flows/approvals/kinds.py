"""The things that are proposed and approved, each registered by the module that knows it.

A kind says what its inputs are (named parts, so a stale proposal names what changed), how an approval
applies it (writing the ledger, or the rate card, in the approval's transaction), and what to tidy when it
is decided (the draft schedules). flows/pbr registers payment_run, clawback, clawback_reversal,
sampling_recovery, recovery_withdrawal, recovery_correction and rate_card; a new kind is one
``register`` call beside its service, and its module named in PROVIDERS.
"""

import datetime as dt
import hashlib
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flows.common.settings import Settings
from models.approvals import Proposal

Inputs = dict[str, str]


@dataclass(frozen=True)
class Kind:
    name: str
    words: str  # how a person says it: "payment run"
    inputs: Callable[[Any, Proposal], Inputs]  # (session, proposal) -> the named inputs as they are now
    apply: Callable[[Settings, Any, Proposal, dt.datetime, str, dt.datetime | None], dict[str, Any]]
    discard: Callable[[Settings, Proposal], None] | None = None  # after approval, rejection or expiry


_KINDS: dict[str, Kind] = {}
# The modules that register kinds; imported on first use, so nothing here imports them at load.
PROVIDERS = (
    "flows.pbr.payment_runs",
    "flows.pbr.clawbacks",
    "flows.pbr.recoveries",
    "flows.pbr.recovery_proposals",
    "flows.pbr.ratecards",
)


def register(kind: Kind) -> None:
    _KINDS[kind.name] = kind


def kind_of(name: str) -> Kind:
    # providers in turn, until one has registered it: approving a payment run loads no clawback or rate-card code
    for module in PROVIDERS:
        if name in _KINDS:
            break
        importlib.import_module(module)
    return _KINDS[name]


def fingerprint(inputs: Inputs) -> str:
    """One digest of the named inputs: equal exactly when nothing the proposal was computed from has changed."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def digest(value: Any) -> str:
    """A short digest of any JSON-able value, as one named input."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]
