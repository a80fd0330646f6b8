"""The ``peaktrade`` command: run the daemon and its offline tools.

Heavy imports happen inside each command so ``peaktrade check-config`` stays quick.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

app = typer.Typer(
    name="peaktrade",
    help="peaktrade trading daemon.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def run(
    config: Annotated[str, typer.Option("--config", "-c", help="Config file (TOML).")],
    state_dir: Annotated[
        str | None,
        typer.Option("--state-dir", help="State directory (or PEAKTRADE_STATE_DIR)."),
    ] = None,
    socket: Annotated[
        str | None, typer.Option("--socket", help="Control socket path (or PEAKTRADE_SOCKET).")
    ] = None,
) -> None:
    """Run the daemon in the foreground (systemd runs it exactly like this)."""
    from peaktrade.daemon.app import run_daemon

    raise typer.Exit(run_daemon(config, state_dir, socket))


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(help="Run id (see ptctl runs), or 'latest'.")],
    output: Annotated[str, typer.Option("--output", "-o", help="HTML file to write.")],
    state_dir: Annotated[
        str | None, typer.Option("--state-dir", help="State directory (default: the daemon's).")
    ] = None,
    network: Annotated[
        str | None, typer.Option("--network", help="Which database, when there are several.")
    ] = None,
) -> None:
    """Write one run as a self-contained HTML report (read-only: the daemon may be running)."""
    from peaktrade.report.cli import report_command

    raise typer.Exit(report_command(run_id, output, state_dir, network))


@app.command("check-config")
def check_config(
    file: Annotated[str, typer.Argument(help="Config file to validate.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print problems only.")] = False,
) -> None:
    """Validate a config without starting; print the effective values (exit 0 ok, 1 bad)."""
    from peaktrade.config import ConfigError, effective_toml, load_config
    from peaktrade.credentials import register_environment_secrets

    register_environment_secrets()
    try:
        loaded = load_config(file)
    except ConfigError as exc:
        for line in exc.problems:
            typer.echo(line, err=True)
        typer.echo(f"{file}: {len(exc.problems)} problem(s); the daemon would not start", err=True)
        raise typer.Exit(1) from None
    if quiet:
        return
    run_cfg = loaded.config.run
    typer.echo(
        f"# {file}: ok (profile {loaded.config.profile.value}, mode {run_cfg.mode.value},"
        f" network {run_cfg.network.value}, digest {loaded.digest})"
    )
    if run_cfg.mode.value == "live":
        typer.echo("# live: the confirmation (credential live-confirm) is checked at start")
    typer.echo("# effective values, profile included:")
    typer.echo(effective_toml(loaded.config))


@app.command("sim-exchange")
def sim_exchange(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="0 picks a free port.")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the price walk and faults.")] = 1,
    prices: Annotated[
        str | None,
        typer.Option("--prices", help="Scripted price path (CSV t_offset_s,symbol,price)."),
    ] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", help="API key to accept.")] = None,
    api_secret: Annotated[
        str | None, typer.Option("--api-secret", help="Matching HMAC secret.")
    ] = None,
) -> None:
    """Run the built-in Binance-compatible exchange simulator alone, until stopped."""
    from peaktrade.venues.sim.cli import run_sim_exchange

    raise typer.Exit(run_sim_exchange(host, port, seed, prices, api_key, api_secret))


@app.command()
def drill(
    scenario: Annotated[
        str | None, typer.Argument(help="Scenario to run (see --list); or --all.")
    ] = None,
    run_all: Annotated[bool, typer.Option("--all", help="Run every scenario.")] = False,
    state_dir: Annotated[
        str | None,
        typer.Option("--state-dir", help="Deployment whose drill log records it (default ./var)."),
    ] = None,
    network: Annotated[
        str, typer.Option("--network", help="Which database of that state directory.")
    ] = "sim",
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=4, help="Drills at once.")] = 1,
    keep: Annotated[bool, typer.Option("--keep", help="Keep each drill's directory.")] = False,
    list_only: Annotated[bool, typer.Option("--list", help="List the scenarios.")] = False,
) -> None:
    """Run incident drills against a real daemon and simulator; exit 0 when every check passed."""
    from peaktrade.drills.cli import drill_command

    raise typer.Exit(drill_command(scenario, run_all, state_dir, network, jobs, keep, list_only))


@app.command("config-reference")
def config_reference() -> None:
    """Print the config reference (Markdown) generated from the config structs."""
    from peaktrade.config import Config
    from peaktrade.config_docs import render_reference

    typer.echo(render_reference(Config), nl=False)


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())  # pragma: no cover
