"""A claims file with bad input is refused whole, naming file, line, field and reason, every problem in one run, and
nothing kept (the FCF-2025-01 set-up of test_pbr_imports.py), on both backends."""

import csv
from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.pbr.claims_check import check_claims
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from flows.pbr.ratecards import import_rate_card
from tests.integration.pbr import test_pbr_imports
from tests.integration.pbr.test_pbr_imports import (
    CLAIMS,
    CONTRACT,
    HEADER,
    SENT,
    add_contract,
    claims_csv,
    counts,
    stored,
    variant,
)

fcf = test_pbr_imports.fcf  # the fixture: the contract, its card and its participants


# --------------------------------------------------------------------------- claims: bad input

GOOD = f"{CONTRACT},C-1,P-001,EMP_ENTRY,2025-10-06,,payslip\n"  # line 2 of each file below: fine on its own

BAD_FILES = {
    "missing column": (
        "contract,claim_ref,participant,achieved_on,amount,evidence\n" + f"{CONTRACT},C-1,P-001,2025-10-06,,payslip\n",
        ":1: missing column(s): outcome",
    ),
    "unknown outcome code": (
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_FT52,2026-01-07,,payslip\n",
        ":3: outcome: 'EMP_FT52' is not an outcome code on FCF-2025-01's rate card",
    ),
    "negative amount": (
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,2025-11-10,-500.00,payslip\n",
        ":3: amount: -500.00 is negative; claim a positive amount (a correction is a clawback, not a negative claim)",
    ),
    "non-numeric amount": (
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,2025-11-10,five hundred,payslip\n",
        ":3: amount: 'five hundred' is not an amount of money (e.g. 1500.00)",
    ),
    "amount over what the database holds": (  # it was refused at the storing, naming no file, line or field
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,2025-11-10,99999999999999999999999,payslip\n",
        ":3: amount: too large: an amount is at most £92,233,720,368,547,758.07",
    ),
    "date in the wrong format": (
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,01/02/2026,,payslip\n",
        ":3: achieved_on: '01/02/2026' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)",
    ),
    "date before 1900": (  # stored as rejected, it then stopped the contract's reconciliation for good
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,0001-01-01,,payslip\n",
        ":3: achieved_on: 0001-01-01 is outside the years 1900-2200",
    ),
    "date after 2200": (  # its quarter would end in the year 10000
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,9999-12-31,,payslip\n",
        ":3: achieved_on: 9999-12-31 is outside the years 1900-2200",
    ),
    "misspelt optional column": (  # else every amount is read as absent, and each claim priced at the card's price
        "contract,claim_ref,participant,outcome,achieved_on,amout,evidence\n"
        + f"{CONTRACT},C-1,P-001,EMP_ENTRY,2025-10-06,333.33,payslip\n",
        ":1: unknown column(s): 'amout' (did you mean 'amount'?); rename it, or the column it stands for is read as "
        "empty",
    ),
    "empty file": ("", ": is empty"),
    "header only": (HEADER, ": has a header but no claims"),
    "unknown contract": (
        HEADER + GOOD + "FCF-2099-01,C-2,P-002,EMP_ENTRY,2025-11-10,,payslip\n",
        ":3: contract: no contract with reference 'FCF-2099-01'",
    ),
    "empty contract": (HEADER + GOOD + ",C-2,P-002,EMP_ENTRY,2025-11-10,,payslip\n", ":3: contract: is empty"),
    "empty claim reference": (
        HEADER + GOOD + f"{CONTRACT},,P-002,EMP_ENTRY,2025-11-10,,payslip\n",
        ":3: claim_ref: is empty",
    ),
    "claim reference too long": (
        HEADER + GOOD + f"{CONTRACT},{'C' * 61},P-002,EMP_ENTRY,2025-11-10,,payslip\n",
        ":3: claim_ref: is over 60 characters",
    ),
    "empty participant": (
        HEADER + GOOD + f"{CONTRACT},C-2,,EMP_ENTRY,2025-11-10,,payslip\n",
        ":3: participant: is empty",
    ),
    "participant too long": (
        HEADER + GOOD + f"{CONTRACT},C-2,{'P' * 61},EMP_ENTRY,2025-11-10,,payslip\n",
        ":3: participant: is over 60 characters",
    ),
    "empty outcome": (HEADER + GOOD + f"{CONTRACT},C-2,P-002,,2025-11-10,,payslip\n", ":3: outcome: is empty"),
    "empty date": (
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,,,payslip\n",
        ":3: achieved_on: is empty (the date the outcome was achieved, e.g. 2026-03-31)",
    ),
    "evidence too long": (
        HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,2025-11-10,,{'e' * 201}\n",
        ":3: evidence: is over 200 characters",
    ),
}


def assert_refused_and_nothing_kept(settings: Settings, path: Path, message: str) -> str:
    before = counts(settings)
    with pytest.raises(UserError) as refused:
        import_claims(settings, path, as_of=SENT, actor="finance")
    said = str(refused.value)
    assert f"{path}{message}" in said, said
    assert counts(settings) == before
    return said


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_malformed_claims_file_is_refused_whole_naming_where_and_why(
    fcf: Settings, tmp_path: Path, case: str
) -> None:
    content, message = BAD_FILES[case]
    path = tmp_path / "claims.csv"
    path.write_text(content, encoding="utf-8")
    said = assert_refused_and_nothing_kept(fcf, path, message)
    if ":3:" in message:
        assert said.startswith(f"{path}: 1 malformed row(s); no claims from this file were imported:")


def test_a_utf16_file_is_refused(fcf: Settings, tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes((HEADER + GOOD).encode("utf-16"))
    assert_refused_and_nothing_kept(fcf, path, ": is UTF-16 text; save it as UTF-8 (CSV UTF-8 in Excel)")


def test_a_windows_1252_pound_sign_is_refused_naming_its_line(fcf: Settings, tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes((HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,2025-11-10,£500.00,payslip\n").encode("cp1252"))
    assert_refused_and_nothing_kept(
        fcf, path, ":3: is not UTF-8 text (byte 0xA3, '£' in Windows-1252); save it as UTF-8 (CSV UTF-8 in Excel)"
    )


def test_a_utf8_file_with_a_byte_order_mark_imports(fcf: Settings, tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes(
        (HEADER + GOOD + f"{CONTRACT},C-2,P-002,EMP_ENTRY,2025-11-10,£500.00,payslip\n").encode("utf-8-sig")
    )
    report = import_claims(fcf, path, as_of=SENT, actor="finance")
    assert (report.rows, report.accepted, str(report.payable)) == (2, 2, "1000.00")
    assert sorted(stored(fcf)) == ["C-1", "C-2"]  # the first column was read as "contract", not "\ufeffcontract"


def test_a_contract_without_a_rate_card_is_refused(fcf: Settings, tmp_path: Path) -> None:
    add_contract(fcf, "FCF-2025-02")
    path = tmp_path / "claims.csv"
    path.write_text(HEADER + GOOD + "FCF-2025-02,C-2,P-002,EMP_ENTRY,2025-11-10,,payslip\n", encoding="utf-8")
    assert_refused_and_nothing_kept(fcf, path, ":3: contract: FCF-2025-02 has no rate card; import one first")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_million_bad_rows_are_counted_the_first_hundred_named_and_nothing_kept(fcf: Settings, tmp_path: Path) -> None:
    path = tmp_path / "million.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(1_000_000):  # every row's date is day-first; every tenth row's amount is words too
            amount = "five hundred" if i % 10 == 0 else "500.00"
            out.write(f"{CONTRACT},C-{i},P-001,EMP_ENTRY,{i % 28 + 1:02d}/02/2026,{amount},payslip\n")
    said = assert_refused_and_nothing_kept(fcf, path, ": 1,000,000 malformed row(s); no claims from this file")
    lines = said.splitlines()
    assert len(lines) == 102  # the count, 100 problems by line, and the rest by field
    assert lines[1] == f"  {path}:2: achieved_on: '01/02/2026' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)"
    assert lines[2] == f"  {path}:2: amount: 'five hundred' is not an amount of money (e.g. 1500.00)"
    assert lines[3] == f"  {path}:3: achieved_on: '02/02/2026' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)"
    assert lines[-1] == (
        "  ... and 1,099,900 more problem(s); by field: achieved_on 1,000,000, amount 100,000; "
        "--report FILE writes them all"
    )


def test_an_evidence_cell_longer_than_the_column_is_refused_as_a_malformed_row(fcf: Settings, tmp_path: Path) -> None:
    evidence = "payslip," + ",".join(f"employer letter {i}" for i in range(20))  # 8 + 20 x ~18 = about 370 characters
    path = tmp_path / "claims.csv"
    path.write_text(HEADER + GOOD + f'{CONTRACT},C-2,P-002,EMP_ENTRY,2025-11-10,,"{evidence}"\n', encoding="utf-8")
    assert_refused_and_nothing_kept(fcf, path, ":3: evidence:")


# --------------------------------------------------------------------------- claims: every problem in one run


def five_kinds_of_bad_row(path: Path, each: int = 1_000) -> Path:
    """``5 * each`` malformed rows in turn: a day-first date, words for an amount, no claim reference, a contract
    no one made, an outcome code on no card. The last two are only known by looking in the database."""
    kinds = (
        f"{CONTRACT},C-{{i}},P-001,EMP_ENTRY,01/02/2026,,payslip",
        f"{CONTRACT},C-{{i}},P-001,EMP_ENTRY,2025-11-10,five hundred,payslip",
        f"{CONTRACT},,P-001,EMP_ENTRY,2025-11-10,,payslip",
        "FCF-2099-01,C-{i},P-001,EMP_ENTRY,2025-11-10,,payslip",
        f"{CONTRACT},C-{{i}},P-001,EMP_FT52,2025-11-10,,payslip",
    )
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(each):
            out.writelines(kind.format(i=i) + "\n" for kind in kinds)
    return path


def test_every_malformed_row_is_counted_in_one_run_with_unknown_contracts_and_outcomes(
    fcf: Settings, tmp_path: Path
) -> None:
    path = five_kinds_of_bad_row(tmp_path / "claims.csv")
    said = assert_refused_and_nothing_kept(fcf, path, ": 5,000 malformed row(s); no claims from this file")
    lines = said.splitlines()
    assert len(lines) == 102  # the count, the first 100 problems in line order, and the rest counted
    assert lines[1:6] == [
        f"  {path}:2: achieved_on: '01/02/2026' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)",
        f"  {path}:3: amount: 'five hundred' is not an amount of money (e.g. 1500.00)",
        f"  {path}:4: claim_ref: is empty",
        f"  {path}:5: contract: no contract with reference 'FCF-2099-01'",
        f"  {path}:6: outcome: 'EMP_FT52' is not an outcome code on FCF-2025-01's rate card",
    ]
    assert lines[100] == f"  {path}:101: outcome: 'EMP_FT52' is not an outcome code on FCF-2025-01's rate card"
    assert lines[-1] == (
        "  ... and 4,900 more problem(s); by field: achieved_on 1,000, amount 1,000, claim_ref 1,000, "
        "contract 1,000, outcome 1,000; --report FILE writes them all"
    )


def test_the_report_holds_every_problem_of_a_refused_claims_file(fcf: Settings, tmp_path: Path) -> None:
    # The import writes it (`claims import --report`): the check before it reads only the first rows.
    path = five_kinds_of_bad_row(tmp_path / "claims.csv")
    report = tmp_path / "problems.csv"
    with pytest.raises(UserError) as refused:
        import_claims(fcf, path, as_of=SENT, actor="finance", problems=report)
    assert str(refused.value).splitlines()[-1].endswith(f"; all of them are in {report}")
    with report.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "field", "reason"]
    assert len(rows) == 1 + 5_000
    assert rows[1] == ["2", "achieved_on", "'01/02/2026' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)"]
    assert rows[-1] == ["5001", "outcome", "'EMP_FT52' is not an outcome code on FCF-2025-01's rate card"]
    assert [p for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_the_check_before_the_import_reads_the_header_and_first_rows_only(fcf: Settings, tmp_path: Path) -> None:
    # 1,000 good rows (PRECHECKED), then a date that is no date on line 1,002: the check passes, having read
    # 1,000 rows; the import itself refuses the file, naming that line.
    good = [(f"C-{n}", "P-001", "EMP_ENTRY", "2025-10-06", "", "payslip") for n in range(1_000)]
    path = claims_csv(tmp_path / "claims.csv", [*good, ("C-1000", "P-001", "EMP_ENTRY", "2025-13-01", "", "payslip")])
    assert check_claims(fcf, path) == 1_000
    assert check_claims(fcf, path, first=2) == 2
    with pytest.raises(UserError) as refused:
        import_claims(fcf, path, as_of=SENT, actor="finance")
    assert f"{path}:1002: achieved_on: '2025-13-01' is not a date" in str(refused.value)


def test_checking_a_good_claims_file_stores_nothing_and_writes_no_report(fcf: Settings, tmp_path: Path) -> None:
    path = claims_csv(tmp_path / "claims.csv", CLAIMS)
    report = tmp_path / "problems.csv"
    before = counts(fcf)
    assert check_claims(fcf, path, report=report) == len(CLAIMS)
    assert counts(fcf) == before
    assert not report.exists()


def test_the_claims_imported_event_keeps_the_counts_the_history_says(fcf: Settings, tmp_path: Path) -> None:
    from flows.contracts.detail import contract_detail

    import_claims(fcf, claims_csv(tmp_path / "claims.csv", CLAIMS), as_of=SENT, actor="finance")
    [event] = [e for e in contract_detail(fcf, CONTRACT)["history"] if e["action"] == "claims_imported"]
    after = event["after"]
    assert (after["rows"], after["accepted"], after["partly_accepted"], after["rejected"]) == (4, 3, 0, 1)


def test_a_file_for_one_contract_only_is_refused_whole_when_it_holds_anothers_claims(
    fcf: Settings, tmp_path: Path
) -> None:
    """An upload on FCF-2025-01's page (``only``) with a line for FCF-2025-02, a contract with its own rate card
    and the same participant, and one for FCF-2099-01, which does not exist: each line refused in the same words
    (a provider learns nothing of which other contracts exist), nothing kept; the CLI's import, for any contract,
    takes FCF-2025-02's line."""
    add_contract(fcf, "FCF-2025-02", value="1500000")
    card = variant(tmp_path, "fcf-02.yaml", ("FCF-2025-01", "FCF-2025-02"))
    import_rate_card(fcf, card, as_of=SENT, actor="a")
    people = tmp_path / "people.csv"
    people.write_text("contract,participant,referral_date,date_of_birth\nFCF-2025-02,P-002,2025-11-03,2003-06-01\n")
    import_participants(fcf, people, as_of=SENT, actor="finance")
    path = tmp_path / "claims.csv"
    other = "FCF-2025-02,C-2,P-002,EMP_ENTRY,2025-11-10,,payslip\n"
    path.write_text(HEADER + GOOD + other + "FCF-2099-01,C-3,P-002,EMP_ENTRY,2025-11-10,,payslip\n", encoding="utf-8")
    before = counts(fcf)
    with pytest.raises(UserError) as refused:
        import_claims(fcf, path, as_of=SENT, actor="finance", only=CONTRACT)
    said = str(refused.value)
    assert f"{path}:3: contract: 'FCF-2025-02' is not FCF-2025-01; this file may hold FCF-2025-01's claims only" in said
    assert f"{path}:4: contract: 'FCF-2099-01' is not FCF-2025-01; this file may hold FCF-2025-01's claims only" in said
    assert counts(fcf) == before
    path.write_text(HEADER + GOOD + other, encoding="utf-8")
    report = import_claims(fcf, path, as_of=SENT, actor="finance", only=None)
    assert (report.rows, report.accepted) == (2, 2)


def test_a_header_of_many_near_misses_and_one_huge_name_is_refused_in_a_short_message(tmp_path: Path) -> None:
    # a hostile or broken header: every near miss named in full made an error of megabytes
    from flows.common.columns import refuse_near_misses
    from flows.common.tabular import open_table

    path = tmp_path / "claims.csv"
    names = ["amout", *(f"amout{i}" for i in range(5_000)), "evidenc" + "e" * 100_000]
    path.write_text("contract,claim_ref,participant,outcome,achieved_on," + ",".join(names) + "\n")
    table = open_table(path, required=["contract", "claim_ref", "participant", "outcome", "achieved_on"],
                       optional=["amount", "evidence"])  # fmt: skip
    with pytest.raises(UserError) as refused:
        refuse_near_misses(table, ["amount", "evidence"])
    message = str(refused.value)
    assert message.startswith(f"{path}:1: unknown column(s): 'amout' (did you mean 'amount'?), 'amout0' (did")
    assert ", and more; rename it" in message and len(message) < 1_000
