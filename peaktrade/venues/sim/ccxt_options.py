"""ccxt constructor settings that point ``binance`` (REST and ccxt.pro) at the simulator only.

Every API section ccxt's binance class knows is redirected, not only the spot ones, so no
code path can reach binance.com; the options keep ccxt on spot and away from the wallet and
margin endpoints (``fetchCurrencies``, ``fetchMargins``) the simulator does not serve.
"""

from __future__ import annotations

_REST_SECTIONS: dict[str, str] = {
    "public": "api/v3",
    "private": "api/v3",
    "v1": "api/v1",
    "sapi": "sapi/v1",
    "sapiV2": "sapi/v2",
    "sapiV3": "sapi/v3",
    "sapiV4": "sapi/v4",
    "dapiPublic": "dapi/v1",
    "dapiPrivate": "dapi/v1",
    "dapiPrivateV2": "dapi/v2",
    "dapiData": "futures/data",
    "eapiPublic": "eapi/v1",
    "eapiPrivate": "eapi/v1",
    "fapiPublic": "fapi/v1",
    "fapiPublicV2": "fapi/v2",
    "fapiPublicV3": "fapi/v3",
    "fapiPrivate": "fapi/v1",
    "fapiPrivateV2": "fapi/v2",
    "fapiPrivateV3": "fapi/v3",
    "fapiData": "futures/data",
    "papi": "papi/v1",
    "papiV2": "papi/v2",
}
_WS_SECTIONS = (
    "spot",
    "margin",
    "linear",
    "inverse",
    "stock",
    "option",
    "optionMarket",
    "optionPrivate",
    "papi",
)


def ws_api_url(ws_url: str) -> str:
    """The WebSocket API endpoint beside the market streams at ``ws_url`` (``.../ws``)."""
    return ws_url.removesuffix("/ws") + "/ws-api/v3"


def ccxt_config(rest_url: str, ws_url: str, api_key: str, api_secret: str) -> dict[str, object]:
    """Constructor dict for ``ccxt.async_support.binance`` / ``ccxt.pro.binance``.

    ``ws_url`` is the market-stream base the simulator prints (ending in ``/ws``).
    """
    base = rest_url.rstrip("/")
    ws_api = ws_api_url(ws_url)
    api: dict[str, object] = {name: f"{base}/{path}" for name, path in _REST_SECTIONS.items()}
    api["ws"] = {
        **{name: ws_url for name in _WS_SECTIONS},
        "ws-api": {"spot": ws_api, "linear": ws_api, "inverse": ws_api},
    }
    return {
        "apiKey": api_key,
        "secret": api_secret,
        "urls": {"api": api, "test": api, "demo": api},
        "options": {
            "defaultType": "spot",
            "fetchMarkets": {"types": ["spot"], "loadAllOptions": False},
            "fetchCurrencies": False,
            "fetchMargins": False,
            "adjustForTimeDifference": False,
        },
    }
