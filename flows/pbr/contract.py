"""A payment-by-results contract as every step looks it up: the contract, its rate cards and its periods.

Import, payment runs, samples, clawbacks and reconciliation all start here: a
contract paid by results (or hybrid, never another model), its stored rate-card
versions read back as cards, oldest first, and a payment period named at the
frequency of the latest card.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flows.common.errors import UserError
from models.contracts import Contract, get_contract
from models.pbr.ledger import PaymentRun
from models.pbr.ratecards import RateCardVersion, rate_cards_of
from policies.contracts.terms import PaymentModel
from policies.dates import shown_instant
from policies.pbr.payments import Period, parse_period
from policies.pbr.ratecard import RateCard
from policies.pbr.ratecard_reading import read_rate_card

PBR_MODELS = (PaymentModel.PAYMENT_BY_RESULTS.value, PaymentModel.HYBRID.value)


def pbr_contract(session: Any, ref: str) -> Contract:
    contract = get_contract(session=session, ref=ref)
    if contract is None:
        raise UserError(f"no contract with reference {ref!r}")
    if contract.payment_model not in PBR_MODELS:
        raise UserError(
            f"contract {ref} is paid as {contract.payment_model}; payment by results needs a "
            "payment_by_results or hybrid contract"
        )
    return contract


def contract_id(contract: Contract) -> int:
    assert contract.id is not None
    return contract.id


def refuse_before_run(run: PaymentRun, as_of: dt.datetime, what: str) -> None:
    """A step on what a run paid (a sample, a clawback) cannot be dated before that run was made."""
    if as_of < run.created_at:
        raise UserError(
            f"--as-of {shown_instant(as_of)} is before the {run.period} payment run ({shown_instant(run.created_at)}) "
            f"{what}; date it on or after the run"
        )


def cards_for(session: Any, contract: Contract) -> list[RateCard]:
    return [stored_card(v) for v in rate_cards_of(session=session, contract_id=contract_id(contract))]


def stored_card(version: RateCardVersion) -> RateCard:
    return stored_card_terms(version.terms, version.id)


def stored_card_terms(terms: dict[str, Any], version_id: int | None = None, proposal: int | None = None) -> RateCard:
    """A card from terms stored after they read cleanly (a version, or a proposal's)."""
    card, problems = read_rate_card(terms)
    if card is None:  # stored only after it read cleanly, so this is a damaged database (or an older reader's)
        which = f"version {version_id}" if version_id is not None else f"of proposal {proposal}"
        named = f"rate card {which} ({terms.get('contract')} from {terms.get('effective_from')})"
        raise UserError(f"{named} no longer reads: {problems[0].field}: {problems[0].reason}")
    return card


def named_period(cards: Sequence[RateCard], text: str) -> Period:
    period, why = parse_period(text, cards[-1].frequency)
    if period is None:
        raise UserError(f"--period: {why}")
    return period


def required_cards(session: Any, contract: Contract) -> list[RateCard]:
    cards = cards_for(session, contract)
    if not cards:
        raise UserError(f"contract {contract.ref} has no rate card; import one with `commission ratecard import`")
    return cards
