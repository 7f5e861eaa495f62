"""The demo's web users: one per role, with passwords for local use only (printed by `commission demo`).

Made once; a second demo run finds them and changes nothing. The provider user belongs to the organisation of
the demo's Northbridge contracts, so signing in as them shows what a provider sees.
"""

from dataclasses import dataclass

from flows.accounts.organisations import organisations, save_organisation
from flows.accounts.users import add_user, users
from flows.common.settings import Settings

NORTHBRIDGE = "Northbridge Young People's Trust"


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    password: str  # for local use on the demo data only
    organisation: str | None = None


DEMO_USERS = (
    DemoUser("priya.shah", "Priya Shah", "commissioner", "priya-demo-2026"),
    DemoUser("farah.khan", "Farah Khan", "finance", "farah-demo-2026"),
    DemoUser("omar.ali", "Omar Ali", "finance", "omar-demo-2026"),  # approves what Farah proposes
    DemoUser("grace.obi", "Grace Obi", "finance", "grace-demo-2026"),  # the second approver over the threshold
    DemoUser("sam.reid", "Sam Reid", "provider", "sam-reid-demo-2026", NORTHBRIDGE),
    DemoUser("audrey.cole", "Audrey Cole", "auditor", "audrey-demo-2026"),
    DemoUser("admin", "Ada Admin", "admin", "admin-demo-2026"),
)


def ensure_demo_users(settings: Settings) -> tuple[DemoUser, ...]:
    """Add the demo users (and the provider's organisation) that are not there yet."""
    if NORTHBRIDGE not in {o["name"] for o in organisations(settings)}:
        save_organisation(settings, name=NORTHBRIDGE, provider_names=[NORTHBRIDGE], actor="demo")
    existing = {u["username"] for u in users(settings)}
    for u in DEMO_USERS:
        if u.username not in existing:
            add_user(
                settings,
                username=u.username,
                display_name=u.name,
                roles=[u.role],
                password=u.password,
                organisation=u.organisation,
                actor="demo",
            )
    return DEMO_USERS
