"""ptctl order / orders: manual orders through the strategy's own gate, and listings."""

from __future__ import annotations

from typing import Annotated

import msgspec
import typer

from ctl.app import EXIT_REFUSED, JsonOpt, finish, send
from peaktrade.control.protocol import (
    CancelResultView,
    OrderCancel,
    OrderPreview,
    OrderResult,
    OrderSpec,
    OrdersQuery,
    OrderSubmit,
    StrategyPreview,
)

order_app = typer.Typer(help="Manual orders through the same gate as the strategy's.")
orders_app = typer.Typer(help="List orders.")

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
    reply = send(ctx, OrderPreview(order=spec), as_json)
    finish(reply)
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
    reply = send(ctx, OrderSubmit(order=spec), as_json)
    finish(reply)
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
    reply = send(ctx, OrderCancel(client_order_id=client_order_id), as_json)
    finish(reply)
    if isinstance(reply.result, CancelResultView) and reply.result.outcome != "accepted":
        raise typer.Exit(EXIT_REFUSED)


@orders_app.command("preview")
def orders_preview(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The orders the strategy would send now, each with every check; nothing is sent."""
    finish(send(ctx, StrategyPreview(), as_json))


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
    finish(send(ctx, OrdersQuery(open_only=not all_orders, limit=limit), as_json))
