"""``SimSettings`` is the daemon's ``[sim]`` section: documented, strict, sane by default."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from decimal import Decimal

import msgspec
import pytest

from peaktrade.venues.sim import settings as settings_module
from peaktrade.venues.sim.settings import SimSettings, SymbolSettings


def test_defaults_list_the_five_majors_with_real_filters() -> None:
    defaults = SimSettings()
    assert [s.symbol for s in defaults.symbols] == [
        "BTCUSDT",
        "ETHUSDT",
        "SOLUSDT",
        "BNBUSDT",
        "XRPUSDT",
    ]
    btc = defaults.symbols[0]
    assert (btc.tick_size, btc.step_size, btc.min_notional) == (
        Decimal("0.01"),
        Decimal("0.00001"),
        Decimal(5),
    )
    assert defaults.balances["USDT"] == Decimal(100000)
    assert (defaults.host, defaults.port, defaults.weight_limit) == ("127.0.0.1", 0, 6000)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.convert({"tick_interval": 1}, SimSettings)


@pytest.mark.parametrize(
    "bad", [{"tick_interval_s": 0}, {"taker_fee": "1.5"}, {"port": 70000}, {"book_levels": 0}]
)
def test_out_of_range_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(bad, SimSettings)


def test_decodes_from_a_toml_section() -> None:
    raw = b'seed = 9\nmaker_fee = "0.0002"\n[balances]\nUSDT = "500"\n'
    decoded = msgspec.toml.decode(raw, type=SimSettings)
    assert (decoded.seed, decoded.maker_fee, decoded.balances) == (
        9,
        Decimal("0.0002"),
        {"USDT": Decimal(500)},
    )


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        SimSettings().seed = 2  # type: ignore[misc]


@pytest.mark.parametrize("struct", [SimSettings, SymbolSettings])
def test_every_field_has_a_docstring_line(struct: type) -> None:
    tree = ast.parse(inspect.getsource(settings_module))
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == struct.__name__]
    documented = set()
    for field, doc in zip(cls.body, cls.body[1:], strict=False):
        if isinstance(field, ast.AnnAssign) and isinstance(doc, ast.Expr):
            assert isinstance(field.target, ast.Name)
            documented.add(field.target.id)
    assert documented == set(struct.__struct_fields__)


def test_importing_the_settings_does_not_load_the_server_stack() -> None:
    code = "import sys, peaktrade.venues.sim.settings; print('aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
