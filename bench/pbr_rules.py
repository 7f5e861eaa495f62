"""Payment by results: the claim rules alone, in memory, with and without a cap in reach.

What it shows (no target of its own; issue 5's target is the whole import, bench/pbr_claims.py):
`validate_claims` checks each participant's claims together as long as the
claims could not reach the contract or an outcome cap, and walks the rest by
achieved date. This times it on the same seeded file as bench/pbr_claims.py
(1,000,000 claims for 250,000 participants), on the scaled card with three
contract caps:

  - none in reach: £10,000 a participant, as in bench/pbr_claims.py;
  - reached halfway: about half of what the file could pay;
  - reached at once: £1.00, so every claim is walked by date;

and each time against the same claims all walked by date, checking that the
decisions are the same. The files are written once to a temporary directory;
reading them is not timed.

    .venv/bin/python bench/pbr_rules.py            # 1,000,000 claims, 250,000 participants, 3 runs each
    .venv/bin/python bench/pbr_rules.py --smoke    # 20,000 claims, 5,000 participants, 1 run (CI)
"""

import argparse
import csv
import datetime as dt
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pbr_data import scaled_card, write_claims, write_participants  # noqa: E402

from flows.pbr.claims_file import read_claims  # noqa: E402
from flows.pbr.ratecards import _card_fields  # noqa: E402
from policies.pbr.book import Book  # noqa: E402
from policies.pbr.claims import Claim, pounds  # noqa: E402
from policies.pbr.participants import Participant  # noqa: E402
from policies.pbr.ratecard import RateCard  # noqa: E402
from policies.pbr.ratecard_reading import read_rate_card  # noqa: E402
from policies.pbr.validation import Validation, _validate, validate_claims  # noqa: E402


def load(tmp: Path, claims: int, participants: int) -> tuple[RateCard, dict[str, Participant], list[Claim]]:
    card_path, people_csv, claims_csv = tmp / "card.yaml", tmp / "participants.csv", tmp / "claims.csv"
    scaled_card(card_path, participants)
    card, problems = read_rate_card(_card_fields(card_path))
    if card is None:
        sys.exit(f"{card_path}: {problems}")
    write_claims(claims_csv, claims, write_participants(people_csv, participants))
    with people_csv.open(newline="", encoding="utf-8") as f:
        people = {
            row["participant"]: Participant(
                row["participant"],
                dt.date.fromisoformat(row["referral_date"]),
                dt.date.fromisoformat(row["date_of_birth"]),
            )
            for row in csv.DictReader(f)
        }
    by_contract, problems_found, _ = read_claims(claims_csv)
    if problems_found.count:
        sys.exit(f"{claims_csv}: {problems_found.count} malformed rows")
    (rows,) = by_contract.values()
    return card, people, rows


def timed(run: Callable[[], Validation], repeat: int) -> tuple[float, float, float, Validation]:
    times: list[float] = []
    result = None
    for _ in range(repeat):
        result = None
        gc.collect()
        gc.disable()  # as the import does
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
        gc.enable()
    assert result is not None
    return statistics.median(times), min(times), max(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="20,000 claims, 5,000 participants, 1 run (for CI)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    claims, participants, repeat = (20_000, 5_000, 1) if args.smoke else (1_000_000, 250_000, args.repeat)
    with tempfile.TemporaryDirectory(prefix="pbr-rules-") as tmp:
        card, people, rows = load(Path(tmp), claims, participants)
    could_pay = sum(
        (min(c.amount or card.outcomes[c.outcome].price, card.outcomes[c.outcome].price) for c in rows), Decimal(0)
    )
    caps = [
        ("none in reach", card.contract_cap),
        ("reached halfway", (could_pay / 2).quantize(Decimal("0.01"))),
        ("reached at once", Decimal("1.00")),
    ]
    print(f"{claims:,} claims for {participants:,} participants; seconds, median (min-max) of {repeat}")
    print(f"{'contract cap':<34} | {'validate_claims':<18} | {'all by date':<18} | same | paid")
    for label, cap in caps:
        cards = [replace(card, contract_cap=cap)]

        def chosen_way(cards: list[RateCard] = cards) -> Validation:
            return validate_claims(cards, people, Book(), rows)

        def by_date_way(cards: list[RateCard] = cards) -> Validation:
            return _validate(cards, people, Book(), rows, by_participant=False)

        chosen, by_date = timed(chosen_way, repeat), timed(by_date_way, repeat)
        same = chosen[3] == by_date[3]
        paid = pounds(sum(d.payable_pence for d in chosen[3].decisions))
        print(
            f"{label + f' (£{cap:,.2f})':<34} | {chosen[0]:5.2f} ({chosen[1]:.2f}-{chosen[2]:.2f}) | "
            f"{by_date[0]:5.2f} ({by_date[1]:.2f}-{by_date[2]:.2f}) | {'yes' if same else 'NO '}  | £{paid:,.2f}"
        )
        if not same:
            sys.exit("the decisions differ: the participant-by-participant check is wrong")


if __name__ == "__main__":
    main()
