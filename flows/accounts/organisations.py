"""Provider organisations: a provider user belongs to one, and sees the contracts of its provider names only."""

import datetime as dt
from typing import Any

from flows.accounts.users import refuse_tokenless_once_admin_exists
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from models.accounts import ProviderOrganisation, get_organisation, list_organisations
from models.db import unit_of_work
from models.events import append_event


def save_organisation(
    settings: Settings, *, name: str, provider_names: list[str], actor: str, tokenless: bool = False
) -> dict[str, Any]:
    """Add an organisation, or replace the provider names an existing one matches contracts by."""
    name = name.strip()
    names = sorted({n.strip() for n in provider_names if n.strip()})
    if not name or len(name) > 200:
        raise UserError("an organisation's name must be 1-200 characters")
    if not names:
        raise UserError("name at least one provider, as contracts name it (e.g. --provider 'Brightside Housing Ltd')")
    with unit_of_work(database(settings)) as session:
        refuse_tokenless_once_admin_exists(session, tokenless=tokenless)
        row = get_organisation(session=session, name=name)
        before = None if row is None else {"provider_names": list(row.provider_names)}
        now = dt.datetime.now(dt.UTC)
        if row is None:
            row = ProviderOrganisation(name=name, provider_names=names, created_at=now)
        elif list(row.provider_names) == names:
            return _public(row)
        else:
            row.provider_names = names
        session.add(row)
        append_event(
            session=session,
            effective_at=now,
            actor=actor,
            entity="organisation",
            entity_ref=name,
            action="OrganisationAdded" if before is None else "OrganisationChanged",
            before=before,
            after={"provider_names": names},
        )
        return _public(row)


def organisations(settings: Settings) -> list[dict[str, Any]]:
    with unit_of_work(database(settings)) as session:
        return [_public(o) for o in list_organisations(session=session)]


def _public(row: ProviderOrganisation) -> dict[str, Any]:
    return {"name": row.name, "provider_names": list(row.provider_names)}
