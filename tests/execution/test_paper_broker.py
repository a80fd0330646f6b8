"""The paper broker: real quotes, fees and slippage, limits fill when crossed, stops trigger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from peaktrade.core.model import OrderIntent, OrderType, Side, TimeInForce
from peaktrade.core.orders import OrderState
from peaktrade.store import journal
from peaktrade.venues.config import PaperConfig
from peaktrade.venues.executor import VenueUpdate
from peaktrade.venues.paper import PaperBroker
from tests.execution.conftest import Harness, now_ms, quote

MakePath = Callable[..., Awaitable[Harness]]


class Published(list[VenueUpdate]):
    def __call__(self, update: VenueUpdate) -> None:
        self.append(update)


async def paper_harness(
    make_path: MakePath, **config: object
) -> tuple[Harness, PaperBroker, Published]:
    published = Published()
    h = await make_path(_Deferred())
    broker = PaperBroker(
        h.quotes,
        PaperConfig(**config),
        published,
        now_ms,  # type: ignore[arg-type]
    )
    h.path.executor = broker
    h.quotes.update(quote("BTC/USDT", 100.0, 101.0))
    h.quotes.update(quote("ETH/USDT", 10.0, 10.1))
    return h, broker, published


class _Deferred:
    name = "paper"


def buy(qty: float = 1.0, **kw: object) -> OrderIntent:
    return OrderIntent(symbol="BTC/USDT", side=Side.BUY, qty=qty, **kw)  # type: ignore[arg-type]


async def test_market_buy_fills_at_ask_plus_slippage_with_fee(make_path: MakePath) -> None:
    h, broker, _ = await paper_harness(make_path, slippage_bps=10.0, taker_fee_rate=0.001)
    (result,) = await h.path.submit([buy(2.0)])
    order = await h.order(result.order.client_order_id)  # type: ignore[union-attr]
    assert order.state is OrderState.FILLED
    assert order.avg_fill_price == pytest.approx(101.0 * 1.001)
    (fill,) = await h.db.call(journal.fills_of, order.client_order_id)
    assert fill.fee == pytest.approx(2.0 * 0.001) and fill.fee_currency == "BTC"
    assert broker.free["USDT"] == pytest.approx(100_000 - 2.0 * 101.0 * 1.001)
    assert broker.free["BTC"] == pytest.approx(2.0 - 0.002)


async def test_limit_rests_and_fills_when_the_quote_crosses(make_path: MakePath) -> None:
    h, broker, published = await paper_harness(make_path)
    (result,) = await h.path.submit([buy(1.0, type=OrderType.LIMIT, price=95.0)])
    cid = result.order.client_order_id  # type: ignore[union-attr]
    assert (await h.order(cid)).state is OrderState.OPEN
    assert broker.locked["USDT"] == pytest.approx(95.0 * 1.001)
    h.quotes.update(quote("BTC/USDT", 96.0, 97.0))
    assert published == []  # not crossed yet
    h.quotes.update(quote("BTC/USDT", 94.0, 94.5))
    (update,) = published
    await h.path.apply_update(update, kind="paper")
    order = await h.order(cid)
    assert order.state is OrderState.FILLED and order.avg_fill_price == 95.0  # its limit price
    assert broker.locked["USDT"] == pytest.approx(0.0)


async def test_post_only_that_would_take_is_rejected(make_path: MakePath) -> None:
    h, _, _ = await paper_harness(make_path)
    (result,) = await h.path.submit([buy(1.0, type=OrderType.LIMIT, price=102.0, post_only=True)])
    assert result.code == "paper.would_take"
    assert (await h.order(result.order.client_order_id)).state is OrderState.REJECTED  # type: ignore[union-attr]


async def test_ioc_that_cannot_fill_expires(make_path: MakePath) -> None:
    h, _, _ = await paper_harness(make_path)
    (result,) = await h.path.submit(
        [buy(1.0, type=OrderType.LIMIT, price=90.0, tif=TimeInForce.IOC)]
    )
    assert (await h.order(result.order.client_order_id)).state is OrderState.EXPIRED  # type: ignore[union-attr]


async def test_insufficient_funds_is_rejected(make_path: MakePath) -> None:
    h, _, _ = await paper_harness(make_path, starting_balances={"USDT": 50.0})
    (result,) = await h.path.submit([buy(1.0)])
    assert result.code == "paper.insufficient_funds"


async def test_stop_loss_triggers_on_last_price(make_path: MakePath) -> None:
    h, broker, published = await paper_harness(make_path, starting_balances={"USDT": 0, "BTC": 1})
    stop = OrderIntent(
        symbol="BTC/USDT",
        side=Side.SELL,
        qty=1.0,
        type=OrderType.STOP_LOSS_LIMIT,
        price=89.0,
        stop_price=90.0,
    )
    (result,) = await h.path.submit([stop])
    cid = result.order.client_order_id  # type: ignore[union-attr]
    h.quotes.update(quote("BTC/USDT", 91.0, 92.0, last=91.5))
    assert published == []
    h.quotes.update(
        quote("BTC/USDT", 89.5, 90.0, last=89.8)
    )  # last <= stop: triggered, bid >= limit
    (update,) = published
    await h.path.apply_update(update, kind="paper")
    assert (await h.order(cid)).state is OrderState.FILLED
    assert broker.free["BTC"] == pytest.approx(0.0)


async def test_cancel_unlocks_funds(make_path: MakePath) -> None:
    h, broker, _ = await paper_harness(make_path)
    (result,) = await h.path.submit([buy(1.0, type=OrderType.LIMIT, price=95.0)])
    outcome, _, order = await h.path.cancel(result.order.client_order_id)  # type: ignore[union-attr]
    assert outcome == "accepted" and order is not None and order.state is OrderState.CANCELLED
    assert broker.free["USDT"] == pytest.approx(100_000.0)


async def test_restart_restores_balances_and_resting_orders(make_path: MakePath) -> None:
    h, _, _ = await paper_harness(make_path)
    await h.path.submit([buy(1.0)])
    (resting,) = await h.path.submit([buy(1.0, type=OrderType.LIMIT, price=95.0)])
    fresh = PaperBroker(h.quotes, PaperConfig(), Published(), now_ms)
    fresh.restore(
        await h.db.call(journal.all_fills, executor="paper"),
        await h.db.call(journal.live_orders, executor="paper"),
    )
    assert fresh.free["BTC"] == pytest.approx(1.0 - 0.001)
    cid = resting.order.client_order_id  # type: ignore[union-attr]
    assert (await fresh.lookup(await h.order(cid))).report.state is OrderState.OPEN  # type: ignore[union-attr]
