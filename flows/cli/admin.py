"""commission init, and commission policy show / check."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import JSON_HELP, console, print_json, settings
from flows.common.errors import UserError
from policies.cycle.stages import mermaid_diagram

if TYPE_CHECKING:  # loaded by the policy commands alone (flows.common.runtime.gate_policy): not for `--help`
    from policies.cycle.gates import GatePolicy


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    policy = typer.Typer(help="Show or check the stage-gate policy.", no_args_is_help=True)
    policy.command("show")(policy_show)
    policy.command("check")(policy_check)
    app.add_typer(policy, name="policy")


def init() -> None:
    """Create or migrate the database, and Prefect's local one (safe to run again)."""
    from flows.common.runtime import database_label, initialise, prepare_local_prefect

    cfg = settings()
    _, before, after = initialise(cfg)
    state = "created" if before is None else ("already current" if before == after else f"migrated from {before}")
    console.print(f"Database {database_label(cfg)}: schema {after} ({state}).", markup=False)
    console.print(f"Data directory: {cfg.data_dir}", markup=False)
    if prepare_local_prefect(cfg):
        console.print(f"Prefect's local database created in {cfg.prefect_home}.", markup=False)


def _policy_json(policy: "GatePolicy") -> dict[str, object]:
    return {
        "sources": list(policy.sources),
        "gates": {
            key: {
                "from": gate.transition.source.value,
                "to": gate.transition.target.value,
                "evidence": [
                    {
                        "kind": r.kind.value,
                        "min_items": r.min_items,
                        "min_strength": {s.value: lvl for s, lvl in r.min_strength.items()},
                        "independently_reviewed": r.independently_reviewed,
                        "min_context_fit": r.min_context_fit.value if r.min_context_fit else None,
                    }
                    for r in gate.evidence
                ],
                "records": [
                    {"record": r.kind.value, "values": list(r.values) if r.values else None} for r in gate.records
                ],
                "live_contract": gate.live_contract,
                "conditions": [{"condition": c.describe(), "codes": list(c.codes)} for c in gate.conditions()],
            }
            for key, gate in policy.gates.items()
        },
    }


def policy_show(
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    diagram: Annotated[bool, typer.Option("--diagram", help="Print the cycle as a Mermaid diagram.")] = False,
) -> None:
    """Show the stage gates in force (shipped defaults plus your policy file)."""
    if diagram:
        console.print(mermaid_diagram(), markup=False)
        return
    from flows.common.runtime import gate_policy

    policy = gate_policy(settings())
    if as_json:
        print_json(_policy_json(policy))
        return
    console.print(f"Policy from: {' + '.join(policy.sources)}", markup=False)
    for key, gate in policy.gates.items():
        t = gate.transition
        console.print(f"\n[bold]{t.source.label} -> {t.target.label}[/bold] ({key})")
        for condition in gate.conditions():
            console.print(f"  - {condition.describe()}", markup=False)
        if not gate.conditions():
            console.print("  (no conditions)")


def policy_check(file: Annotated[Path, typer.Argument(help="A gate policy TOML file to check.")]) -> None:
    """Check a policy file without using it; exit 1 with every problem if it is not valid."""
    import dataclasses

    from flows.common.runtime import gate_policy

    cfg = dataclasses.replace(
        settings(), policy_file=file, policy_file_from="the FILE argument of `commission policy check`"
    )
    policy = gate_policy(cfg)
    if str(file) not in policy.sources:
        raise UserError(f"{file} was not read")
    from policies.cycle.gate_policy import parse_policy_text

    doc, _ = parse_policy_text(file.read_text(encoding="utf-8"), str(file))
    own = sorted((doc or {}).get("gates", {}))
    if not own:
        console.print(
            f"{file}: valid, but it sets no gate, so it changes nothing: the shipped defaults apply.", markup=False
        )
        return
    console.print(
        f"{file}: valid; it sets {len(own)} gate{'s' if len(own) > 1 else ''} ({', '.join(own)}); "
        "the other gates keep the shipped defaults.",
        markup=False,
    )
