"""Every contract status transition, and the ones that are refused."""

import itertools

import pytest

from policies.contracts.status import TRANSITIONS, ContractAction, ContractStatus, next_status

S, A = ContractStatus, ContractAction
EXPECTED = {
    (S.PENDING, A.START): S.ACTIVE,
    (S.PENDING, A.TERMINATE): S.TERMINATED,
    (S.ACTIVE, A.EXTEND): S.EXTENDED,
    (S.EXTENDED, A.EXTEND): S.EXTENDED,
    (S.ACTIVE, A.SERVE_NOTICE): S.IN_NOTICE,
    (S.EXTENDED, A.SERVE_NOTICE): S.IN_NOTICE,
    (S.ACTIVE, A.TERMINATE): S.TERMINATED,
    (S.EXTENDED, A.TERMINATE): S.TERMINATED,
    (S.IN_NOTICE, A.TERMINATE): S.TERMINATED,
    (S.ACTIVE, A.EXPIRE): S.EXPIRED,
    (S.EXTENDED, A.EXPIRE): S.EXPIRED,
}


def test_the_table_is_the_lifecycle() -> None:
    assert dict(TRANSITIONS) == EXPECTED


@pytest.mark.parametrize(("status", "action"), list(EXPECTED))
def test_each_transition(status: ContractStatus, action: ContractAction) -> None:
    assert next_status(status, action) == (EXPECTED[(status, action)], None)


@pytest.mark.parametrize(("status", "action"), [p for p in itertools.product(S, A) if p not in EXPECTED])
def test_everything_else_is_refused_with_a_reason(status: ContractStatus, action: ContractAction) -> None:
    target, why = next_status(status, action)
    assert target is None and why is not None
    assert why.startswith(f"A {status.label} contract cannot be")
    if status in (S.TERMINATED, S.EXPIRED):
        assert why.endswith("it is final.")


def test_live_contracts_are_the_ones_delivering() -> None:
    assert [s for s in S if s.is_live] == [S.ACTIVE, S.EXTENDED, S.IN_NOTICE]
