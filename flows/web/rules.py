"""Who may use each route: one table, checked before any route runs.

A route missing from the table is refused to everyone (and the security matrix test fails on it), so a new
page cannot be open by accident. ``PUBLIC`` routes need no sign-in; ``SIGNED_IN`` ones any role. An auditor
appears in no rule for a POST: they read everything and change nothing.
"""

from policies.accounts.roles import Role

PUBLIC: frozenset[Role] = frozenset()
SIGNED_IN = frozenset(Role)

C, F, P, A, ADM = Role.COMMISSIONER, Role.FINANCE, Role.PROVIDER, Role.AUDITOR, Role.ADMIN
COUNCIL_READERS = frozenset({C, F, A})
CONTRACT_READERS = frozenset({C, F, A, P})  # a provider sees only their organisation's contracts
COMMISSIONERS = frozenset({C})
AUDIT_READERS = frozenset({C, A, ADM})
ADMIN_READERS = frozenset({ADM, A})
ADMINS = frozenset({ADM})
OWN_FEED = frozenset({C, F, P, ADM})  # a personal calendar token; an auditor changes nothing

RULES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,  # counts and check names only (flows/common/health.py)
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/sign-in"): PUBLIC,
    ("POST", "/sign-in"): PUBLIC,
    ("GET", "/sign-in/sso"): PUBLIC,  # single sign-on, when set up: off to the identity provider
    ("GET", "/sign-in/sso/callback"): PUBLIC,  # and back, with a code that only the state in our session accepts
    ("GET", "/calendar/{token}.ics"): PUBLIC,  # the secret token in the URL is the key
    ("POST", "/sign-out"): SIGNED_IN,
    ("GET", "/"): SIGNED_IN,
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/account/calendar"): OWN_FEED,
    ("POST", "/account/calendar/revoke"): OWN_FEED,
    ("GET", "/api/docs"): SIGNED_IN,
    ("GET", "/api/openapi.json"): SIGNED_IN,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("GET", "/api/v1/jobs/{job_id}"): SIGNED_IN,  # a background job (a claims upload): its owner's only
    # the board and projects
    ("GET", "/board"): COUNCIL_READERS,
    ("GET", "/api/v1/board"): COUNCIL_READERS,
    ("GET", "/projects/{ref}"): COUNCIL_READERS,
    ("GET", "/api/v1/projects/{ref}"): COUNCIL_READERS,
    ("POST", "/projects/{ref}/evidence"): COMMISSIONERS,
    ("POST", "/projects/{ref}/records"): COMMISSIONERS,
    ("POST", "/projects/{ref}/advance"): COMMISSIONERS,
    ("POST", "/projects/{ref}/evidence/{item}/withdraw"): COMMISSIONERS,
    ("POST", "/api/v1/projects/{ref}/evidence"): COMMISSIONERS,
    ("POST", "/api/v1/projects/{ref}/advance"): COMMISSIONERS,
    # contracts
    ("GET", "/contracts"): CONTRACT_READERS,
    ("GET", "/api/v1/contracts"): CONTRACT_READERS,
    ("GET", "/contracts/{ref}"): CONTRACT_READERS,
    ("GET", "/api/v1/contracts/{ref}"): CONTRACT_READERS,
    ("POST", "/contracts/{ref}/decision"): COMMISSIONERS,
    ("POST", "/contracts/{ref}/keydates/{key}/handle"): COMMISSIONERS,
    ("POST", "/api/v1/contracts/{ref}/decision"): COMMISSIONERS,
    # payment by results
    ("GET", "/contracts/{ref}/reconciliation"): CONTRACT_READERS,
    ("GET", "/contracts/{ref}/reconciliation.csv"): CONTRACT_READERS,
    ("GET", "/contracts/{ref}/reconciliation.xlsx"): CONTRACT_READERS,
    ("GET", "/api/v1/contracts/{ref}/reconciliation"): CONTRACT_READERS,
    ("GET", "/contracts/{ref}/claims"): CONTRACT_READERS,
    ("POST", "/contracts/{ref}/claims"): frozenset({F, P}),  # a provider, for their own contracts only
    ("GET", "/contracts/{ref}/payments"): CONTRACT_READERS,
    ("GET", "/api/v1/contracts/{ref}/payments"): CONTRACT_READERS,
    ("POST", "/contracts/{ref}/payments"): frozenset({F}),
    ("POST", "/contracts/{ref}/participants"): frozenset({F, P}),  # a provider, for their own contracts only
    ("POST", "/contracts/{ref}/ratecard"): frozenset({F}),
    ("GET", "/contracts/{ref}/payments/{period}/{name}"): CONTRACT_READERS,
    # approvals: finance decides; commissioners and auditors read; providers see none
    ("GET", "/approvals"): COUNCIL_READERS,
    ("GET", "/api/v1/approvals"): COUNCIL_READERS,
    ("GET", "/approvals/{proposal_id}"): COUNCIL_READERS,
    ("GET", "/api/v1/approvals/{proposal_id}"): COUNCIL_READERS,
    ("GET", "/approvals/{proposal_id}/drafts/{name}"): COUNCIL_READERS,
    ("POST", "/approvals/{proposal_id}/approve"): frozenset({F}),
    ("POST", "/approvals/{proposal_id}/reject"): frozenset({F}),
    ("POST", "/api/v1/approvals/{proposal_id}/approve"): frozenset({F}),
    ("POST", "/api/v1/approvals/{proposal_id}/reject"): frozenset({F}),
    # the lists (flows/web/pages/lists.py): a provider sees only their organisation's rows
    **{
        ("GET", f"{api}{where}{suffix}"): CONTRACT_READERS
        for where in ("/lists/contracts", "/claims", "/runs", "/ratecards", "/participants", "/ledger")
        for api, suffix in (("", ""), ("", ".csv"), ("", ".xlsx"), ("/api/v1", ""))
    },
    # what is due
    ("GET", "/due"): CONTRACT_READERS,
    ("GET", "/due/month"): CONTRACT_READERS,
    ("GET", "/api/v1/due"): CONTRACT_READERS,
    # reminders
    ("GET", "/reminders"): frozenset({C, A}),
    ("GET", "/api/v1/reminders"): frozenset({C, A}),
    ("POST", "/reminders/sweep"): COMMISSIONERS,
    ("GET", "/reminders/sweep/{job_id}"): COMMISSIONERS,  # the sweep job: its owner's only
    ("POST", "/api/v1/reminders/sweep"): COMMISSIONERS,
    ("POST", "/reminders/{reminder_id}/acknowledge"): COMMISSIONERS,
    ("POST", "/reminders/{reminder_id}/snooze"): COMMISSIONERS,
    ("POST", "/api/v1/reminders/{reminder_id}/acknowledge"): COMMISSIONERS,
    # the audit log
    ("GET", "/audit"): AUDIT_READERS,
    ("GET", "/audit.csv"): AUDIT_READERS,
    ("GET", "/api/v1/audit"): AUDIT_READERS,
    # admin
    ("GET", "/admin"): ADMIN_READERS,
    ("GET", "/api/v1/admin/users"): ADMIN_READERS,
    ("POST", "/admin/users"): ADMINS,
    ("POST", "/admin/users/{username}/roles"): ADMINS,
    ("POST", "/admin/users/{username}/disable"): ADMINS,
    ("POST", "/admin/users/{username}/tokens"): ADMINS,
    ("POST", "/admin/users/{username}/tokens/{token_id}/revoke"): ADMINS,
    ("POST", "/admin/organisations"): ADMINS,
}


def allowed(method: str, path: str) -> frozenset[Role] | None:
    """The roles that may use a route (empty: public), or None when the route has no rule."""
    return RULES.get(("GET" if method == "HEAD" else method, path))
