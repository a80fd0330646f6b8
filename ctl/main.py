"""ptctl: ask the peaktrade daemon, flip its kill switch.

Exit codes: 0 ok, 1 unhealthy or refused, 2 usage error, 3 cannot reach the daemon.
Imports only the control protocol: no ccxt, no aiohttp, so it answers in well under 150 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from ctl.client import Unreachable, ask, default_socket
from ctl.render import render
from peaktrade.control.protocol import (
    AuditQuery,
    CancelResultView,
    Health,
    HealthResult,
    Kill,
    OrderCancel,
    OrderPreview,
    OrderResult,
    OrderSpec,
    OrdersQuery,
    OrderSubmit,
    Reduce,
    Release,
    Reply,
    Request,
    Status,
)

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3

app = typer.Typer(
    name="ptctl",
    help="Control a running peaktrade daemon over its Unix socket.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the raw reply as JSON.")]
ReasonOpt = Annotated[str, typer.Option("--reason", "-r", help="Why (recorded and audited).")]


class Options(msgspec.Struct):
    socket: Path


@app.callback()
def _global(
    ctx: typer.Context,
    socket: Annotated[
        Path | None,
        typer.Option(
            "--socket",
            "-s",
            envvar="PEAKTRADE_SOCKET",
            help="Daemon socket (default ./var/run/peaktrade.sock, else /run/peaktrade/).",
        ),
    ] = None,
) -> None:
    ctx.obj = Options(socket=socket or default_socket())


def _send(ctx: typer.Context, request: Request, as_json: bool) -> Reply:
    options: Options = ctx.obj
    try:
        reply = ask(options.socket, request)
    except Unreachable as exc:
        typer.echo(f"ptctl: cannot reach the daemon: {exc}", err=True)
        typer.echo(f"  hint: {exc.hint}", err=True)
        raise typer.Exit(EXIT_UNREACHABLE) from None
    if as_json:
        typer.echo(msgspec.json.format(msgspec.json.encode(reply), indent=2))
    else:
        typer.echo(render(reply), err=not reply.ok)
    return reply


def _finish(reply: Reply) -> None:
    if not reply.ok:
        raise typer.Exit(EXIT_REFUSED)


@app.command()
def health(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every health check with value and hint; exit 1 when unhealthy."""
    reply = _send(ctx, Health(), as_json)
    _finish(reply)
    if isinstance(reply.result, HealthResult) and not reply.result.healthy:
        raise typer.Exit(EXIT_REFUSED)


@app.command()
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Trading state, why, since when, and who set it."""
    _finish(_send(ctx, Status(), as_json))


@app.command()
def kill(
    ctx: typer.Context,
    reason: ReasonOpt,
    cancel_open: Annotated[
        bool, typer.Option("--cancel-open", help="Also cancel every open order.")
    ] = False,
    flatten: Annotated[
        bool, typer.Option("--flatten", help="Also close every position at market.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Latch HALTED: no new orders. Returns once the state is on disk."""
    _finish(_send(ctx, Kill(reason=reason, cancel_open=cancel_open, flatten=flatten), as_json))


@app.command()
def reduce(ctx: typer.Context, reason: ReasonOpt, as_json: JsonOpt = False) -> None:
    """REDUCING: only orders that reduce exposure."""
    _finish(_send(ctx, Reduce(reason=reason), as_json))


@app.command()
def release(ctx: typer.Context, reason: ReasonOpt, as_json: JsonOpt = False) -> None:
    """Re-arm trading (ACTIVE) after a kill or reduce."""
    _finish(_send(ctx, Release(reason=reason), as_json))


@app.command()
def audit(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The newest mutating commands: who, what, outcome."""
    _finish(_send(ctx, AuditQuery(limit=limit), as_json))


order_app = typer.Typer(help="Manual orders through the same gate as the strategy's.")
orders_app = typer.Typer(help="List orders.")
app.add_typer(order_app, name="order")
app.add_typer(orders_app, name="orders")

SymbolOpt = Annotated[str, typer.Option("--symbol", help="e.g. BTC/USDT")]
SideOpt = Annotated[str, typer.Option("--side", help="buy or sell")]
QtyOpt = Annotated[float, typer.Option("--qty", help="Quantity in base units.", min=0)]
TypeOpt = Annotated[
    str, typer.Option("--type", help="market, limit, stop_loss_limit, take_profit_limit")
]
PriceOpt = Annotated[float | None, typer.Option("--price", help="Limit price.")]
StopOpt = Annotated[float | None, typer.Option("--stop-price", help="Trigger price.")]
TifOpt = Annotated[str, typer.Option("--tif", help="GTC, IOC or FOK.")]
PostOnlyOpt = Annotated[bool, typer.Option("--post-only", help="Refuse if it would take.")]


def _spec(
    symbol: str,
    side: str,
    qty: float,
    kind: str,
    price: float | None,
    stop: float | None,
    tif: str,
    post_only: bool,
) -> OrderSpec:
    try:
        return msgspec.convert(
            {
                "symbol": symbol.upper(),
                "side": side.lower(),
                "qty": qty,
                "type": kind.lower(),
                "price": price,
                "stop_price": stop,
                "tif": tif.upper(),
                "post_only": post_only,
            },
            OrderSpec,
        )
    except msgspec.ValidationError as exc:
        raise typer.BadParameter(str(exc).replace("$.", "--").replace("_", "-")) from None


@order_app.command("preview")
def order_preview(
    ctx: typer.Context,
    symbol: SymbolOpt,
    side: SideOpt,
    qty: QtyOpt,
    kind: TypeOpt = "market",
    price: PriceOpt = None,
    stop_price: StopOpt = None,
    tif: TifOpt = "GTC",
    post_only: PostOnlyOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Every check the order would go through; nothing is sent or recorded."""
    spec = _spec(symbol, side, qty, kind, price, stop_price, tif, post_only)
    reply = _send(ctx, OrderPreview(order=spec), as_json)
    _finish(reply)
    if isinstance(reply.result, OrderResult) and not reply.result.decisions[0].allowed:
        raise typer.Exit(EXIT_REFUSED)


@order_app.command("submit")
def order_submit(
    ctx: typer.Context,
    symbol: SymbolOpt,
    side: SideOpt,
    qty: QtyOpt,
    kind: TypeOpt = "market",
    price: PriceOpt = None,
    stop_price: StopOpt = None,
    tif: TifOpt = "GTC",
    post_only: PostOnlyOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Send a manual order (refused when HALTED); exit 1 if refused or rejected."""
    spec = _spec(symbol, side, qty, kind, price, stop_price, tif, post_only)
    reply = _send(ctx, OrderSubmit(order=spec), as_json)
    _finish(reply)
    if isinstance(reply.result, OrderResult):
        d = reply.result.decisions[0]
        if not d.allowed or d.outcome in ("rejected", "retryable", "refused"):
            raise typer.Exit(EXIT_REFUSED)


@order_app.command("cancel")
def order_cancel(
    ctx: typer.Context,
    client_order_id: Annotated[str, typer.Argument(help="The order's client order id.")],
    as_json: JsonOpt = False,
) -> None:
    """Cancel one open order."""
    reply = _send(ctx, OrderCancel(client_order_id=client_order_id), as_json)
    _finish(reply)
    if isinstance(reply.result, CancelResultView) and reply.result.outcome != "accepted":
        raise typer.Exit(EXIT_REFUSED)


@orders_app.command("list")
def orders_list(
    ctx: typer.Context,
    all_orders: Annotated[
        bool, typer.Option("--all", help="Recent orders of every state, not only open ones.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Open orders and orders in doubt (or, with --all, the most recent)."""
    _finish(_send(ctx, OrdersQuery(open_only=not all_orders, limit=limit), as_json))


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())
