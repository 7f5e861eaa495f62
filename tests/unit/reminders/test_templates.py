"""A reminder digest: one plain-text message per recipient, soonest first, every item acknowledgeable."""

import datetime as dt
import re

import pytest

from notifications import Message, ReminderItem, render_digest
from notifications.templates import days_left_words, kind_words

AS_OF = dt.date(2026, 11, 23)
IDS = re.compile(r"reminder #(\d+)")


def item(reminder_id: int, due_on: dt.date, ref: str = "HF-2024-01", **changes: object) -> ReminderItem:
    values: dict[str, object] = {
        "reminder_id": reminder_id,
        "contract_ref": ref,
        "contract_title": "Home care framework",
        "provider": "Acme Care Ltd",
        "kind": "break_notice_deadline",
        "due_on": due_on,
        "days_left": (due_on - AS_OF).days,
        "action": "Decide whether to serve break notice, and serve it by this date if so.",
        "who": "Contract owner",
        "lead": "30 days",
        "late": False,
    }
    values.update(changes)
    return ReminderItem(**values)  # type: ignore[arg-type]


def blocks(message: Message) -> dict[int, str]:
    """Each item's block of the body, by reminder id."""
    starts = [(int(m.group(1)), m.start()) for m in IDS.finditer(message.body)]
    ends = [start for _, start in starts[1:]] + [len(message.body)]
    return {rid: message.body[start:end] for (rid, start), end in zip(starts, ends, strict=True)}


def test_items_are_listed_soonest_first_then_by_contract_then_by_id() -> None:
    dec1, dec5 = dt.date(2026, 12, 1), dt.date(2026, 12, 5)
    items = [
        item(7, dec5, "AA-1"),
        item(9, dec1, "ZZ-9"),
        item(4, dec1, "HF-2024-01"),
        item(3, dec1, "HF-2024-01"),
        item(1, dt.date(2027, 1, 1), "AA-1"),
    ]
    message = render_digest("owner", items)
    assert [int(i) for i in IDS.findall(message.body)] == [3, 4, 9, 7, 1]


def test_one_item_title_names_the_contract_the_key_date_and_the_day() -> None:
    message = render_digest("owner", [item(12, dt.date(2026, 12, 1))])
    assert message.title == "Commissioning: HF-2024-01 break notice deadline on 2026-12-01"


def test_many_items_title_counts_them_and_gives_the_earliest_date() -> None:
    message = render_digest(
        "finance",
        [item(1, dt.date(2027, 3, 1)), item(2, dt.date(2026, 12, 1), "MH-7"), item(3, dt.date(2026, 12, 9))],
    )
    assert message.title == "Commissioning: 3 key dates need action, the first on 2026-12-01"


def test_every_item_carries_its_id_and_the_command_that_acknowledges_it() -> None:
    message = render_digest("owner", [item(12, dt.date(2026, 12, 1)), item(345, dt.date(2026, 12, 2))])
    by_id = blocks(message)
    assert set(by_id) == {12, 345}
    assert "Acknowledge: commission reminders ack 12" in by_id[12]
    assert "Acknowledge: commission reminders ack 345" in by_id[345]
    assert "reminder #12" in message.body and "reminder #345" in message.body


def test_an_item_says_what_who_when_and_for_which_contract() -> None:
    message = render_digest(
        "owner",
        [
            item(
                5,
                dt.date(2026, 12, 1),
                "MH-2023-07",
                contract_title="Community mental health support",
                provider="Riverside Trust",
                kind="extension_decision",
                action="Decide whether to extend the contract by 12 months.",
                who="Head of commissioning",
                lead="6 months",
            )
        ],
    )
    block = blocks(message)[5]
    assert "2026-12-01 (Tuesday), in 8 days" in block
    assert "MH-2023-07 Community mental health support" in block
    assert "Provider: Riverside Trust" in block
    assert "Key date: extension decision (reminder 6 months before)" in block
    assert "Action: Decide whether to extend the contract by 12 months." in block
    assert "Who must act: Head of commissioning" in block
    assert "for owner" in message.body


@pytest.mark.parametrize(
    ("days_left", "words"),
    [(8, "in 8 days"), (1, "in 1 day"), (0, "today"), (-1, "1 day ago, missed"), (-2, "2 days ago, missed")],
)
def test_days_left_in_words(days_left: int, words: str) -> None:
    assert days_left_words(days_left) == words
    due = AS_OF + dt.timedelta(days=days_left)
    message = render_digest("owner", [item(1, due, days_left=days_left)])
    assert f"{due.isoformat()} (" in message.body and f"), {words}\n" in message.body


def test_late_items_are_marked_in_their_block_and_counted_in_the_title() -> None:
    message = render_digest(
        "owner",
        [item(1, dt.date(2026, 12, 1), late=True), item(2, dt.date(2026, 12, 2)), item(3, dt.date(2026, 12, 3))],
    )
    by_id = blocks(message)
    assert "LATE" in by_id[1].splitlines()[0]
    assert "LATE" not in by_id[2] and "LATE" not in by_id[3]
    assert message.title.endswith("(1 LATE)")
    assert not message.title.startswith("ESCALATION")
    one = render_digest("owner", [item(1, dt.date(2026, 12, 1), late=True)])
    assert one.title == "Commissioning: HF-2024-01 break notice deadline on 2026-12-01 (LATE)"


def test_a_late_retry_of_a_failed_send_says_so_not_that_the_system_was_down() -> None:
    """A send that failed and was retried more than 60 minutes after it was planned was worded as downtime."""
    message = render_digest(
        "owner",
        [item(1, dt.date(2026, 12, 1), late=True, retry=True), item(2, dt.date(2026, 12, 2), late=True)],
    )
    by_id = blocks(message)
    assert by_id[1].splitlines()[0] == "reminder #1 [RETRY]"
    assert by_id[2].splitlines()[0] == "reminder #2 [LATE]"
    lines = message.body.splitlines()
    assert (
        "LATE: 1 reminder marked LATE is going out later than planned (the system was not running when it was "
        "due)." in lines
    )
    assert (
        "RETRY: 1 reminder marked RETRY is going out later than planned because an earlier send failed: this "
        "is a retry of that failed send." in lines
    )
    retried = render_digest("owner", [item(1, dt.date(2026, 12, 1), late=True, retry=True)]).body
    assert "not running" not in retried and "retry of that failed send" in retried
    # a retry on time (within the hour) is not late, and says nothing of either
    on_time = render_digest("owner", [item(1, dt.date(2026, 12, 1), retry=True)]).body
    assert "RETRY" not in on_time and "LATE" not in on_time


def test_an_escalation_is_said_first_in_the_title_and_marked_on_its_item() -> None:
    message = render_digest(
        "escalation",
        [item(1, dt.date(2026, 12, 1)), item(2, dt.date(2026, 11, 25), escalation=True, days_left=2)],
    )
    assert message.title == "ESCALATION: Commissioning: 2 key dates need action, the first on 2026-11-25"
    by_id = blocks(message)
    assert "ESCALATION" in by_id[2].splitlines()[0]
    assert "ESCALATION" not in by_id[1]
    assert render_digest("owner", [item(1, dt.date(2026, 12, 1))]).title.startswith("Commissioning:")


def test_the_body_is_plain_text() -> None:
    message = render_digest("owner", [item(1, dt.date(2026, 12, 1)), item(2, dt.date(2026, 12, 2), late=True)])
    assert not re.search(r"<[a-z/]|\*\*|__|^#", message.body, re.MULTILINE)
    assert "\n" not in message.title
    assert message.body.isascii()


def test_kinds_in_words() -> None:
    assert kind_words("break_notice_deadline") == "break notice deadline"
    assert kind_words("expiry") == "expiry"


def test_an_empty_digest_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least one"):
        render_digest("owner", [])
