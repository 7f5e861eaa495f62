"""A sample's conclusion in words: a recovery is "netted off the next payment run" only when one was proposed."""

from typing import Any

import pytest

from flows.cli.payments import print_conclusion

CONCLUDED = {
    "sampled_value": "5500.00", "invalid_value": "0.00", "error_rate": "0.00%", "confidence": "95%",
    "interval": "0.00% to 0.00%", "basis": "lower_bound", "applied_rate": "0.00%", "unsampled_value": "4000.00",
    "recovery": "0.00", "withdrawn": None,
}  # fmt: skip


def said(capsys: pytest.CaptureFixture[str], conclusion: dict[str, Any]) -> str:
    print_conclusion(conclusion)
    return " ".join(capsys.readouterr().out.split())


def test_a_sample_that_recovers_nothing_proposes_nothing_to_net_off(capsys: pytest.CaptureFixture[str]) -> None:
    out = said(capsys, CONCLUDED)
    assert "£0.00 on the £4,000.00 not sampled, so nothing is netted off a payment run." in out
    assert "netted off the next payment run" not in out and "Proposed" not in out
    # its invalid claims' clawback proposed, but no recovery: still nothing of a recovery to net off
    assert "so nothing is netted off a payment run." in said(capsys, {**CONCLUDED, "proposal": 4})


def test_a_proposed_recovery_is_netted_off_once_approved(capsys: pytest.CaptureFixture[str]) -> None:
    proposed = {**CONCLUDED, "recovery": "62.50", "proposal": 3, "proposal_status": "pending"}
    assert "£62.50 on the £4,000.00 not sampled, netted off the next payment run once approved." in said(
        capsys, proposed
    )
    approved = said(capsys, {**proposed, "proposal_status": "approved"})
    assert "not sampled, netted off the next payment run." in approved
