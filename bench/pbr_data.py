"""The seeded files of the payment-by-results benchmarks: a scaled rate card, participants and claims.

Shared by bench/pbr_claims.py (the import), bench/pbr_rules.py and bench/pbr_runs.py (through pbr_claims).
The whole timeline is moved YEARS_BACK years into the past, since nothing may be dated after the real clock.
"""

import datetime as dt
import random
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CARD = ROOT / "examples" / "fair-chance-fund.yaml"
CONTRACT = "FCF-2025-01"
# Nothing may be dated after the real clock: the shipped card's timeline (2025-10 to 2028-06) is moved this
# many whole years back, the card's dates, the contract's start and every as-of alike. A multiple of four, so
# that day N after the first referral is the same day of the same month as before (2028's 29 February is 2024's).
YEARS_BACK = 4


def back(day: dt.date) -> dt.date:
    """``day``, YEARS_BACK years earlier (none of the timeline's dates is a 29 February)."""
    return day.replace(year=day.year - YEARS_BACK)


CONTRACT_START = back(dt.date(2025, 10, 1))  # tests/support/builders.py fcf_contract's start
WINDOW = (back(dt.date(2025, 10, 1)), back(dt.date(2026, 9, 30)))  # the card's referral window
PARTICIPANTS_AS_OF = dt.datetime.combine(back(dt.date(2026, 10, 1)), dt.time(9, 0), tzinfo=dt.UTC)
CLAIMS_AS_OF = dt.datetime.combine(back(dt.date(2028, 6, 30)), dt.time(9, 0), tzinfo=dt.UTC)
SEED = 20251001
REFS = {
    "in-order": "claim references count up the file (CL-00000001, CL-00000002, ...)",
    "scattered": "claim references all different and in no order, as when a provider's system numbers "
    "claims as they are raised and the file lists them participant by participant",
}
SCATTER, SCATTER_MODULUS = 48_271, 99_999_989  # a prime modulus: n -> n * SCATTER mod it is one-to-one
REJECTABLE = 0.10  # the share of claims made rejectable on purpose


# --------------------------------------------------------------------------- the files


def scaled_card(target: Path, participants: int) -> None:
    """The shipped card with a cohort of ``participants``, a contract cap of £10,000 each, and its
    effective_from and referral window YEARS_BACK years earlier."""
    text = CARD.read_text(encoding="utf-8")
    text, cohorts = re.subn(r"(?m)^cohort: \d+", f"cohort: {participants}", text)
    text, caps = re.subn(r'(?m)^contract_cap: "[\d.]+"', f'contract_cap: "{participants * 10_000}.00"', text)
    text, dates = re.subn(
        r"(?m)^(effective_from|referral_from|referral_to): (\d{4}-\d{2}-\d{2})",
        lambda m: f"{m[1]}: {back(dt.date.fromisoformat(m[2])).isoformat()}",
        text,
    )
    if cohorts != 1 or caps != 1 or dates != 3:
        sys.exit(f"{CARD}: expected one cohort:, contract_cap:, effective_from:, referral_from: and referral_to: line")
    window = re.findall(r"(?m)^referral_(?:from|to): (\S+)", text)
    if window != [WINDOW[0].isoformat(), WINDOW[1].isoformat()]:
        sys.exit(f"{CARD}: the referral window moved back is {window}, the benchmark's is {WINDOW}")
    target.write_text(text, encoding="utf-8")


def add_contract(settings: Any) -> None:
    """Project YPH-1 and the £1.5m, 3-year FCF-2025-01 contract as tests/support/builders.py
    ``fcf_contract`` adds them, from CONTRACT_START (the builder's 1 October 2025, YEARS_BACK years earlier)."""
    from flows.contracts.files import Row
    from flows.contracts.importing import add_contracts
    from flows.cycle.projects import create_project

    when = dt.datetime.combine(back(dt.date(2025, 9, 1)), dt.time(), tzinfo=dt.UTC)  # the builder's as-of
    create_project(
        settings,
        ref="YPH-1",
        title="Young people's homelessness",
        service_area="Housing",
        owner="A",
        description="",
        stage="review",
        as_of=when,
        actor="bench",
    )
    fields = {
        "ref": CONTRACT,
        "title": "Young people's homelessness (Fair Chance Fund terms)",
        "provider": "Northbridge YP Trust",
        "project": "YPH-1",
        "value": "1500000",
        "start": CONTRACT_START.isoformat(),
        "term": "3 years",
        "payment_model": "payment_by_results",
    }
    add_contracts(settings, [Row("bench", fields)], as_of=when, actor="bench")


def card_outcomes() -> dict[str, tuple[str, str]]:
    """code -> (price, evidence) from the card."""
    import yaml

    card = yaml.safe_load(CARD.read_text(encoding="utf-8"))
    return {o["code"]: (str(o["price"]), o.get("evidence", "")) for o in card["outcomes"]}


def write_participants(path: Path, count: int) -> list[int]:
    """Participants referred inside the window, aged 18-24 at referral; returns their referral days (ordinals)."""
    rnd = random.Random(SEED)
    low, high = WINDOW[0].toordinal(), WINDOW[1].toordinal()
    referrals = []
    with path.open("w", newline="") as f:
        f.write("contract,participant,referral_date,date_of_birth\n")
        for i in range(count):
            referral = dt.date.fromordinal(rnd.randint(low, high))
            age = rnd.randint(18, 24)
            born = dt.date(referral.year - age - 1, referral.month, min(referral.day, 28)) + dt.timedelta(
                days=rnd.randint(5, 360)
            )
            f.write(f"{CONTRACT},P-{i:07d},{referral.isoformat()},{born.isoformat()}\n")
            referrals.append(referral.toordinal())
    return referrals


# A track is a list of steps (outcome, step from the previous step's date: least days, extra days at random).
# The least days respect the card's intervals however months fall (3 months is at most 92 days).
TRACKS: dict[str, list[tuple[str, int, int]]] = {
    "assess": [("ASSESS_1", 0, 30), ("ASSESS_2", 92, 30), ("ASSESS_3", 92, 30)],
    "acc": [("ACC_ENTRY", 7, 113), ("ACC_S3", 92, 20), ("ACC_S6", 92, 20), ("ACC_S12", 182, 20)],
    "edu": [("EDU_ENTRY", 0, 150), ("EDU_QUAL", 60, 240)],
    "emp_ft": [("EMP_ENTRY", 30, 170), ("EMP_FT13", 91, 20), ("EMP_FT26", 91, 20)],
    "emp_pt": [("EMP_ENTRY", 30, 170), ("EMP_PT13", 91, 20), ("EMP_PT26", 91, 20)],
    "vol": [("VOL_6", 0, 60), ("VOL_13", 49, 10), ("VOL_20", 49, 10), ("VOL_26", 42, 10)],
}
TRACK_WEIGHTS = {"acc": 5, "assess": 4, "emp_ft": 2, "emp_pt": 2, "edu": 2, "vol": 1}
QUALIFICATIONS = ("EDU_ENTRY_LEVEL", "EDU_L1", "EDU_L2")
# Outcomes whose prerequisite a participant without that track has not got: claimed, they are refused.
ORPHANS = {
    "assess": "ASSESS_2",
    "acc": "ACC_S3",
    "edu": "EDU_L1",
    "emp_ft": "EMP_FT13",
    "emp_pt": "EMP_PT13",
    "vol": "VOL_13",
}
PARTNERS = {"EMP_FT13": "EMP_PT13", "EMP_PT13": "EMP_FT13"}  # one group: only one of them is payable
TOO_EARLY = {"ASSESS_2", "ASSESS_3", "ACC_S3", "ACC_S6", "ACC_S12", "EMP_FT13", "EMP_FT26", "EMP_PT13", "EMP_PT26"}


def write_claims(path: Path, claims: int, referrals: list[int], refs: str = "in-order") -> dict[str, int]:
    """A seeded claims file; returns how many rows of each deliberate kind it holds. Claim references
    count up the file (``in-order``), or are ``scattered``: all different, in no order (see REFS)."""
    rnd = random.Random(SEED + 1)
    outcomes = card_outcomes()
    participants = len(referrals)
    base, spare = divmod(claims, participants)
    counts = [base + (1 if i < spare else 0) for i in range(participants)]
    for i in range(0, participants - 1, 2):  # vary the claims per participant, keeping the total
        shift = rnd.randint(-2, 2)
        if counts[i] - shift >= 1 and counts[i + 1] + shift >= 1:
            counts[i] -= shift
            counts[i + 1] += shift
    mutate = min(1.0, REJECTABLE * claims / participants)  # the last claim of this share of participants
    names, weights = list(TRACK_WEIGHTS), list(TRACK_WEIGHTS.values())
    iso: dict[int, str] = {}

    def day(ordinal: int) -> str:
        text = iso.get(ordinal)
        if text is None:
            text = iso[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return text

    kinds: dict[str, int] = {}
    number = 0
    with path.open("w", newline="") as f:
        f.write("contract,claim_ref,participant,outcome,achieved_on,amount,evidence\n")
        out: list[str] = []
        for p, (referral, wanted) in enumerate(zip(referrals, counts, strict=True)):
            chosen: list[str] = []
            rows: list[list[Any]] = []  # [ref, participant, outcome, day, amount, evidence]
            while len(rows) < wanted and len(chosen) < len(names):
                track = rnd.choices(names, weights)[0]
                if track in chosen or (track.startswith("emp") and any(t.startswith("emp") for t in chosen)):
                    continue
                chosen.append(track)
                when = referral
                for code, least, extra in TRACKS[track]:
                    if len(rows) >= wanted:
                        break
                    when += least + rnd.randint(0, extra)
                    if code == "EDU_QUAL":
                        code = rnd.choice(QUALIFICATIONS)
                    price, evidence = outcomes[code]
                    amount = ""
                    draw = rnd.random()
                    if draw < 0.15:
                        amount = price
                    elif draw < 0.17:  # more than the card pays: partly accepted
                        amount = f"{float(price) + 250:.2f}"
                    elif draw < 0.20:
                        amount = f"{float(price) * 0.8:.2f}"
                    if rnd.random() < 0.05:
                        evidence = f'"{evidence},photo_id"'  # quoted: a list of evidence types
                    number += 1
                    ref = number if refs == "in-order" else number * SCATTER % SCATTER_MODULUS
                    rows.append([f"CL-{ref:08d}", f"P-{p:07d}", code, when, amount, evidence])
            if rows and rnd.random() < mutate:
                kind = _make_rejectable(rnd, rows, chosen, referral, outcomes)
                kinds[kind] = kinds.get(kind, 0) + 1
            for ref, who, code, when, amount, evidence in rows:
                out.append(f"{CONTRACT},{ref},{who},{code},{day(when)},{amount},{evidence}\n")
            if len(out) >= 10_000:
                f.writelines(out)
                out.clear()
        f.writelines(out)
    return kinds


def _make_rejectable(
    rnd: random.Random, rows: list[list[Any]], chosen: list[str], referral: int, outcomes: dict[str, tuple[str, str]]
) -> str:
    """Change the participant's last claim so that the rules refuse it; return what was done."""
    last = rows[-1]
    kind = rnd.choice(
        ["too_early", "prerequisite", "duplicate_ref", "unknown_participant", "evidence", "already_paid", "exclusive"]
    )
    if kind == "too_early":
        if last[2] in TOO_EARLY and len(rows) >= 2:
            last[3] = rows[-2][3] + rnd.randint(1, 60)  # the interval is at least 13 weeks
        else:
            kind, last[3] = "before_referral", referral - rnd.randint(1, 60)
    elif kind == "prerequisite":
        spare = [t for t in ORPHANS if t not in chosen and not (t.startswith("emp") and "emp" in "".join(chosen))]
        if spare:
            last[2] = ORPHANS[rnd.choice(spare)]
            last[4], last[5] = "", outcomes[last[2]][1]
        else:
            kind, last[5] = "evidence", ""
    elif kind == "duplicate_ref" and len(rows) >= 2:
        last[0] = rows[rnd.randrange(len(rows) - 1)][0]
    elif kind in ("already_paid", "duplicate_ref") and len(rows) >= 2:
        kind = "already_paid"
        again = rows[rnd.randrange(len(rows) - 1)]
        last[2], last[3], last[4], last[5] = again[2], last[3] + 1, "", again[5]
    elif kind == "exclusive" and (earlier := next((r for r in rows[:-1] if r[2] in PARTNERS), None)):
        last[2], last[3], last[4], last[5] = PARTNERS[earlier[2]], earlier[3] + rnd.randint(0, 30), "", "payslip"
    elif kind == "evidence":
        last[5] = rnd.choice(["", "photo_id", "referral_form"])
    else:
        kind, last[1] = "unknown_participant", f"U-{last[1][2:]}"
    return kind
