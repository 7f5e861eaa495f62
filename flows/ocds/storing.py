"""Storing imported OCDS processes, a batch at a time, in the import's one transaction.

A new process becomes a project (onboarded at its stage: Do at tender, Review once awarded) with its
contracts, their key dates, their events and their provenance (``ocds_process``, ``ocds_award``), through the
same repository functions as ``contracts import`` (``insert_contracts``, ``insert_key_dates``,
``mark_for_replanning``, ``append_events``). A known process with a newer release varies its contracts
through ``vary_contract``, the service ``decide ... vary`` uses, with the notice as the reason.

References: a project's is its tender's id where that is a free reference (2-40 letters, digits or
- _ / .), else ``OC-`` and ten hex digits of the ocid's SHA-1; a contract's is its published id where that
is a free reference, else the project's and a number.
"""

import dataclasses
import datetime as dt
import hashlib
import warnings
from dataclasses import dataclass
from typing import Any

from ocdsmerge import Merger
from ocdsmerge.exceptions import OCDSMergeError
from sqlalchemy import insert, select
from sqlmodel import Session, SQLModel

from flows.common.errors import UserError
from flows.contracts.decisions import vary_contract
from flows.contracts.importing import key_dates_for, public_terms
from flows.ocds.jsontext import canonical_digest, dumps, loads
from flows.ocds.report import ImportReport, unmapped_fields
from flows.ocds.sources import Located
from flows.ocds.storing_performance import store_performance
from models.contracts import Contract, insert_contracts, insert_key_dates, key_date_rows, terms_columns
from models.events import append_events
from models.ocds import OcdsProcess, awards_of, processes_by_ocid, record_payments
from models.performance.repository import terms_of as stored_terms
from models.reminders.replanning import mark_for_replanning
from policies.calendars import Nation
from policies.contracts.status import ContractStatus
from policies.ocds.mapping import ContractPlan, ProcessPlan, read_process, reference_for, terms_of

NATION = Nation.ENGLAND_AND_WALES  # a published notice does not say whose bank holidays count


@dataclass(frozen=True)
class _NewProcess:
    plan: ProcessPlan
    compiled: str  # JSON text
    ids: list[str]
    source: str
    notice: str
    release_id: str
    unmapped: list[str]
    digests: dict[str, Any]


@dataclass(frozen=True)
class _ToMake:
    project_id: int
    project_ref: str
    ocid: str
    plan: ContractPlan
    notice: str
    release_id: str


def _table(name: str) -> Any:
    return SQLModel.metadata.tables[name]


class Store:
    def __init__(self, session: Session, report: ImportReport, *, as_of: dt.datetime, actor: str, today: dt.date):
        self.session, self.report, self.as_of, self.actor, self.today = session, report, as_of, actor, today
        self.entered_at = dt.datetime.now(dt.UTC)
        self.project_refs = set(session.execute(select(_table("project").c.ref)).scalars())
        self.contract_refs = set(session.execute(select(_table("contract").c.ref)).scalars())
        self.processes: dict[str, OcdsProcess] = {}
        self.awards: dict[tuple[str, str], int] = {}
        self._new: list[_NewProcess] = []

    def load(self, ocids: list[str]) -> None:
        self.processes = processes_by_ocid(session=self.session, ocids=ocids)
        self.awards = awards_of(session=self.session, ocids=list(self.processes))

    def process(self, ocid: str, located: list[Located], merger: Merger) -> list[str] | None:
        """Merge one process's releases and plan or make its changes; return the fields of its compiled release
        that are not mapped (None when it brings nothing new)."""
        releases: dict[str, Any] = {}
        where: dict[str, Located] = {}
        for item in located:
            releases.setdefault(item.release["id"], item.release)
            where.setdefault(item.release["id"], item)
        existing = self.processes.get(ocid)
        known = set(existing.release_ids) if existing is not None else set()
        stored: dict[str, Any] = dict(existing.release_digests or {}) if existing is not None else {}
        digests = {rid: canonical_digest(release) for rid, release in releases.items()}
        if self._refused_as_changed(ocid, where, digests, stored):
            return None
        new = [r for i, r in releases.items() if i not in known]
        if not new:
            self.report.unchanged.append(ocid)
            return None
        first = {"imported_at": self.as_of.astimezone(dt.UTC).isoformat()}
        kept = stored | {r["id"]: {"digest": digests[r["id"]], **first} for r in new}
        base = [loads(existing.compiled)] if existing is not None else []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a repeated id inside an array is merged by position; not fatal
                compiled: dict[str, Any] = merger.create_compiled_release([*base, *new])
        except OCDSMergeError as exc:
            self.report.refused_files.setdefault(located[0].file, []).append(f"{ocid}: cannot be merged: {exc}")
            self.report.refused_processes.append(ocid)
            return None
        plan = read_process(compiled)
        self.report.skipped += [f"{ocid}: {s}" for s in plan.skipped]
        latest = max(new, key=lambda r: str(r["date"]))
        notice = f"OCDS release {latest['id']} ({located[0].file})"
        ids = [*sorted(known), *(r["id"] for r in new)]
        unmapped = unmapped_fields(compiled)
        if existing is None:
            source, release_id = located[0].file, str(latest["id"])
            self._new.append(_NewProcess(plan, dumps(compiled), ids, source, notice, release_id, unmapped, kept))
        else:
            self._update(existing, plan, compiled, ids, notice, str(latest["id"]), unmapped)
            existing.release_digests = kept
        return unmapped

    def _refused_as_changed(
        self, ocid: str, where: dict[str, Located], digests: dict[str, str], stored: dict[str, Any]
    ) -> bool:
        """Refuse the process (by file and JSON path, nothing of it written) when a release id already imported is
        given again with other contents: a published release is not changed, a change is a new release with its
        own id. An id with no stored digest (imported before migration 0032) cannot be told, and is taken."""
        changed = [rid for rid, digest in digests.items() if rid in stored and stored[rid]["digest"] != digest]
        for rid in changed:
            item = where[rid]
            when = dt.datetime.fromisoformat(stored[rid]["imported_at"]).astimezone(dt.UTC)
            self.report.refused_files.setdefault(item.file, []).append(
                f'{item.path}.id: "{rid}" of {ocid} was first imported {when:%Y-%m-%d %H:%M} UTC with other '
                "contents; a published release is not changed: publish the change as a new release with its own id"
            )
        if changed:
            self.report.refused_processes.append(ocid)
        return bool(changed)

    # ------------------------------------------------------------------ a process seen before

    def _update(
        self,
        existing: OcdsProcess,
        plan: ProcessPlan,
        compiled: dict[str, Any],
        ids: list[str],
        notice: str,
        release_id: str,
        unmapped: list[str],
    ) -> None:
        added: list[ContractPlan] = []
        for contract_plan in plan.contracts:
            contract_id = self.awards.get((plan.ocid, contract_plan.key))
            if contract_id is None:
                added.append(contract_plan)
                continue
            contract = self.session.get(Contract, contract_id)
            if contract is None:
                continue
            old = stored_terms(session=self.session, contract=contract)  # with any KPI exemption (UK9 dates)
            published = terms_of(contract_plan, contract.ref)
            new_terms = dataclasses.replace(
                old,
                start=published.start,
                initial_term_months=published.initial_term_months,
                value=published.value,
                extensions=published.extensions or old.extensions,
                award_notice_on=published.award_notice_on,
                signed_on=published.signed_on,
                published_end=published.published_end,
                published_max_extent=published.published_max_extent,
            )
            if terms_columns(new_terms) == terms_columns(old):
                continue
            try:
                vary_contract(
                    self.session,
                    contract,
                    new_terms,
                    reason=notice,
                    as_of=self.as_of,
                    actor=self.actor,
                    today=self.today,
                )
            except UserError as exc:
                raise UserError(f"{plan.ocid}: {notice} cannot vary contract {contract.ref}: {exc}") from None
            self.report.varied.append(f"{contract.ref}: {notice}")
        if added:
            project_ref = self.session.execute(
                select(_table("project").c.ref).where(_table("project").c.id == existing.project_id)
            ).scalar_one()
            made = [_ToMake(existing.project_id, project_ref, plan.ocid, c, notice, release_id) for c in added]
            self._contracts(made, existing=[project_ref])
        existing.release_ids = ids
        existing.compiled = dumps(compiled)
        existing.unmapped = unmapped
        self.session.add(existing)

    # ------------------------------------------------------------------ new processes, a batch at a time

    def _project_ref(self, plan: ProcessPlan) -> str:
        ref = reference_for(plan.tender_id)
        if ref is None or ref in self.project_refs:
            ref = "OC-" + hashlib.sha1(plan.ocid.encode()).hexdigest()[:10].upper()
            n = 1
            while ref in self.project_refs:  # bounded by the number of projects
                n += 1
                ref = f"OC-{hashlib.sha1(plan.ocid.encode()).hexdigest()[:10].upper()}-{n}"
        self.project_refs.add(ref)
        return ref

    def flush(self) -> None:
        """Store the batch's new processes: projects, contracts, key dates, provenance and events."""
        if not self._new:
            return
        rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for new in self._new:
            plan, ids, notice = new.plan, new.ids, new.notice
            ref = self._project_ref(plan)
            snapshot = {
                "ref": ref,
                "title": plan.title,
                "service_area": plan.buyer or "(buyer not published)",
                "owner": self.actor[:120],
                "stage": plan.stage,
                "cycle": 1,
            }
            rows.append(
                {**snapshot, "description": plan.description, "stage_entered_at": self.as_of, "created_at": self.as_of}
            )
            events.append(
                self._event("project", ref, "ProjectCreated", f"onboarded in {plan.stage} from {notice}")
                | {"after": {**snapshot, "ocid": plan.ocid, "releases": ids}}
            )
        table = _table("project")
        result = self.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        project_ids = [int(i) for i in result.scalars()]
        append_events(session=self.session, rows=events, entered_at=self.entered_at, existing=[])
        processes = []
        wanted: list[_ToMake] = []
        for new, project_id, row in zip(self._new, project_ids, rows, strict=True):
            processes.append(
                {
                    "ocid": new.plan.ocid,
                    "project_id": project_id,
                    "release_ids": new.ids,
                    "release_digests": new.digests,
                    "compiled": new.compiled,
                    "unmapped": new.unmapped,
                    "source": new.source[-500:],
                    "imported_at": self.as_of,
                }
            )
            project_ref = str(row["ref"])
            self.report.projects_added.append(project_ref)
            wanted += [
                _ToMake(project_id, project_ref, new.plan.ocid, c, new.notice, new.release_id)
                for c in new.plan.contracts
            ]
        self.session.execute(insert(_table("ocds_process")), processes)
        self._contracts(wanted, existing=[])
        self._new = []

    def _event(self, entity: str, ref: str, action: str, reason: str) -> dict[str, Any]:
        return {
            "effective_at": self.as_of,
            "actor": self.actor,
            "entity": entity,
            "entity_ref": ref,
            "action": action,
            "reason": reason,
            "before": None,
        }

    def _contract_ref(self, project_ref: str, plan: ContractPlan) -> str:
        ref = reference_for(plan.ocds_id)
        n = 0
        while ref is None or ref in self.contract_refs:  # bounded by the number of contracts
            n += 1
            ref = f"{project_ref}-{n}"
        self.contract_refs.add(ref)
        return ref

    def _contracts(self, wanted: list["_ToMake"], *, existing: list[str]) -> None:
        """Make the contracts, all at once: rows, key dates, replanning, provenance, history and events;
        ``existing`` names the projects made before this import (their history is checked for the dates)."""
        if not wanted:
            return
        rows, made = [], []
        for item in wanted:
            plan, project_id = item.plan, item.project_id
            ref = self._contract_ref(item.project_ref, plan)
            terms = terms_of(plan, ref)
            status = ContractStatus.PENDING if terms.start > self.today else ContractStatus.ACTIVE
            if terms.ended_on is not None:
                status = ContractStatus.TERMINATED
            columns = {
                **terms_columns(terms),
                "ref": ref,
                "title": plan.title,
                "provider": plan.provider,
                "project_id": project_id,
                "nation": NATION.value,
                "payment_model": "block",
                "kpis": [],
                "status": status.value,
                "created_at": self.as_of,
            }
            rows.append(columns)
            made.append((plan, ref, terms, status, columns))
        ids = insert_contracts(session=self.session, rows=rows)
        key_rows, events, awards = [], [], []
        for item, (plan, ref, terms, status, columns), contract_id in zip(wanted, made, ids, strict=True):
            notice, project_ref = item.notice, item.project_ref
            key_rows += key_date_rows(contract_id, key_dates_for(terms, NATION))
            events.append(
                self._event("contract", ref, "ContractAdded", f"from {notice}") | {"after": public_terms(columns)}
            )
            linked = {
                "contract": ref,
                "provider": plan.provider,
                "status": status.value,
                "start": plan.start.isoformat(),
            }
            events.append(self._event("project", project_ref, "ContractLinked", f"from {notice}") | {"after": linked})
            awards.append(
                {
                    "ocid": item.ocid,
                    "award_key": plan.key,
                    "contract_id": contract_id,
                    "release_id": item.release_id[:300],
                }
            )
            self.report.contracts_added.append(ref)
        key_rows.sort(key=lambda r: r[3])
        insert_key_dates(session=self.session, rows=key_rows)
        mark_for_replanning(session=self.session, contract_ids=ids)
        self.session.execute(insert(_table("ocds_award")), awards)
        self._history(made, ids)
        performance = [
            (plan, ref, cid, item.notice) for item, (plan, ref, *_), cid in zip(wanted, made, ids, strict=True)
        ]
        events += store_performance(
            self.session,
            performance,
            as_of=self.as_of,
            today=self.today,
            actor=self.actor,
            skipped=self.report.not_read,
        )
        append_events(
            session=self.session,
            rows=events,
            entered_at=self.entered_at,
            existing=[("project", ref) for ref in existing],
        )

    def _history(self, made: list[tuple[ContractPlan, str, Any, Any, Any]], ids: list[int]) -> None:
        """A published contract's amendments as its variations, and its transactions as the ledger's payments
        (a negative one reversing the payment to the same payer, of the same amount, it undoes)."""
        variations: list[dict[str, Any]] = []
        entries: list[tuple[int, str, dt.date, Any, str]] = []
        for (plan, *_), contract_id in zip(made, ids, strict=True):
            for varied_at, rationale, description in plan.amendments:
                variations.append(
                    {
                        "contract_id": contract_id,
                        "varied_at": varied_at,
                        "actor": self.actor,
                        "reason": rationale or "(no rationale published)",
                        "before": {},
                        "after": {"description": description},
                    }
                )
            for transaction_id, on, value, payer in plan.transactions:
                entries.append((contract_id, transaction_id, on, value, payer))
        if variations:
            self.session.execute(insert(_table("contract_variation")), variations)
        if entries:
            record_payments(self.session, entries, as_of=self.as_of, actor=self.actor)
