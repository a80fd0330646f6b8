"""TOML config -> typed, validated, frozen msgspec structs.

One loader for the daemon, ``check-config`` and reloads. Errors are collected, not stopped at the
first: the operator gets one line per problem naming the file, the key path and what was
expected, and the daemon does not start.
"""

from __future__ import annotations

import enum
import hashlib
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import msgspec

from peaktrade.alerts.config import AlertsConfig
from peaktrade.checks.config import ChecksConfig, checks_problems
from peaktrade.core.risk_config import LiveRiskConfig
from peaktrade.dashboard.config import DashboardConfig
from peaktrade.execution.config import ExecutionConfig
from peaktrade.metrics.config import MetricsConfig
from peaktrade.profiles import PROFILES, Profile
from peaktrade.redaction import redact_text
from peaktrade.runlog.config import RunLogConfig
from peaktrade.stages.config import StagesConfig, stages_problems
from peaktrade.strategy.config import StrategyConfig
from peaktrade.strategy.registry import strategy_problems
from peaktrade.venues.config import AccountSyncConfig, MarketDataConfig, PaperConfig
from peaktrade.venues.sim.settings import SimSettings


class Mode(enum.StrEnum):
    """What happens to an order; see the mode matrix in docs/SAFETY_POLICY_TESTNET_AND_LIVE.md."""

    SHADOW = "shadow"
    PAPER = "paper"
    TESTNET = "testnet"
    LIVE = "live"


class Network(enum.StrEnum):
    """Where the exchange is. Each network has its own credentials and state database."""

    SIM = "sim"
    TESTNET = "testnet"
    MAINNET = "mainnet"


ALLOWED_NETWORKS: Mapping[Mode, frozenset[Network]] = {
    Mode.SHADOW: frozenset({Network.SIM, Network.TESTNET, Network.MAINNET}),
    Mode.PAPER: frozenset({Network.SIM, Network.TESTNET, Network.MAINNET}),
    Mode.TESTNET: frozenset({Network.SIM, Network.TESTNET}),
    Mode.LIVE: frozenset({Network.MAINNET}),
}

Label = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600)]
PeerRule = Annotated[
    str,
    msgspec.Meta(pattern=r"^(@owner|root|uid:\d+|user:[a-z_][a-z0-9_-]*|group:[a-z_][a-z0-9_-]*)$"),
]
Symbol = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{2,12}/[A-Z0-9]{2,12}$")]


class RunConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What this deployment is. Mode and network have no default: the file must say them."""

    mode: Mode
    """shadow, paper, testnet or live."""
    network: Network
    """sim (built-in simulator), testnet or mainnet."""
    account_label: Label = "default"
    """Names the exchange account; live needs a confirmation equal to it."""


class LiveConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Live arming. Arming alone never starts live: a confirmation outside this file must match."""

    armed: bool = False
    """Must be true for mode = "live"; a profile cannot set it."""


class ExchangeConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The ccxt exchange and the markets to trade."""

    id: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9]+$")] = "binance"
    """ccxt exchange id."""
    symbols: tuple[Symbol, ...] = ("BTC/USDT", "ETH/USDT")
    """Markets to stream and trade (ccxt unified symbols)."""
    quote_currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{2,12}$")] = "USDT"
    """Currency in which equity, PnL and notional limits are counted."""
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=120)] = 10.0
    """Per-request timeout; a create that times out is UNKNOWN and resolved by lookup."""
    sim_url: (
        Annotated[str, msgspec.Meta(pattern=r"^http://(127\.0\.0\.1|localhost|\[::1\]):\d+$")]
        | None
    ) = None
    """Network sim only: use this running simulator (``peaktrade sim-exchange``) instead of
    embedding one; loopback only."""


class PeerAllowList(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Who may send each class of control command (checked with SO_PEERCRED).

    Rules: ``@owner`` (the daemon's own user), ``root``, ``uid:N``, ``user:NAME``, ``group:NAME``.
    """

    read: tuple[PeerRule, ...] = ("@owner", "root")
    """May query health, status, portfolio, risk, alerts, runs, audit."""
    trade: tuple[PeerRule, ...] = ("@owner",)
    """May submit manual orders and promote a run."""
    kill: tuple[PeerRule, ...] = ("@owner", "root")
    """May kill, reduce and release."""


class ControlConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The Unix control socket that ``ptctl`` talks to."""

    socket: str | None = None
    """Socket path; default ``$RUNTIME_DIRECTORY/peaktrade.sock``, else ``./var/run/``."""
    group: Annotated[str, msgspec.Meta(pattern=r"^[a-z_][a-z0-9_-]*$")] | None = None
    """When set, the socket is 0660 owned by this group instead of 0600."""
    request_timeout_s: Seconds = 5.0
    """Most time a request may take to arrive, a read to be answered and a reply to be taken;
    a kill, order or other mutating command, once received, is never cut off."""
    idle_timeout_s: Seconds = 30.0
    """A connection that sends nothing for this long is closed."""
    max_connections: Annotated[int, msgspec.Meta(ge=1, le=1024)] = 64
    """Concurrent connections; more are answered ``busy`` and closed."""
    allow: PeerAllowList = PeerAllowList()
    """Per-command-class allow lists."""


class LogLevel(enum.StrEnum):
    """Log verbosity."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class LogFormat(enum.StrEnum):
    """``auto`` is JSON lines when stderr is not a terminal (journald), console otherwise."""

    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


class LoggingConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Structured logging."""

    level: LogLevel = LogLevel.INFO
    """Least severe level written."""
    format: LogFormat = LogFormat.AUTO
    """auto, json or console."""


class DaemonConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Process lifecycle."""

    state_dir: str | None = None
    """State directory; default ``$STATE_DIRECTORY`` under systemd, ``./var`` otherwise."""
    shutdown_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = 8.0
    """Graceful stop budget before in-flight work is abandoned (systemd allows 10 s)."""
    loop_lag_unhealthy_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = 2.0
    """Event-loop lag above which the daemon counts as unhealthy and stops watchdog pings."""
    ready_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=600)] = 45.0
    """READY=1 waits this long for start-up reconciliation; after it the daemon reports ready
    with orders blocked until reconciliation succeeds (so systemd does not kill it while the
    exchange is down, and the kill switch stays reachable)."""
    health_alert_interval_s: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 10.0
    """How often health (as ``ptctl health``) is judged for ``daemon.unhealthy``: raised after
    two failing evaluations in a row, resolved at the next healthy one."""


class PortfolioConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The portfolio monitor."""

    snapshot_interval_s: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 5.0
    """How often a snapshot is taken, evaluated by the risk layer and kept as history."""
    balance_refresh_s: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 30.0
    """Exchange modes: how often balances are fetched to true up cash and sizes."""


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The whole deployment."""

    profile: Profile = Profile.DEV
    """Environment profile presetting conservative values; explicit keys override it."""
    run: RunConfig
    """What this deployment is."""
    live: LiveConfig = LiveConfig()
    """Live arming."""
    exchange: ExchangeConfig = ExchangeConfig()
    """Exchange and markets."""
    strategy: StrategyConfig = StrategyConfig()
    """The strategy that places orders on its own."""
    control: ControlConfig = ControlConfig()
    """Control socket."""
    logging: LoggingConfig = LoggingConfig()
    """Logging."""
    daemon: DaemonConfig = DaemonConfig()
    """Lifecycle."""
    live_risk: LiveRiskConfig = LiveRiskConfig()
    """Risk limits."""
    portfolio: PortfolioConfig = PortfolioConfig()
    """Portfolio snapshots."""
    live_alerts: AlertsConfig = AlertsConfig()
    """Alerts."""
    execution: ExecutionConfig = ExecutionConfig()
    """Order path: unknown outcomes, reconciliation."""
    market_data: MarketDataConfig = MarketDataConfig()
    """Quote streams."""
    account_sync: AccountSyncConfig = AccountSyncConfig()
    """Private stream and REST polling."""
    paper: PaperConfig = PaperConfig()
    """Paper broker."""
    sim: SimSettings = SimSettings()
    """Built-in exchange simulator (network sim)."""
    run_log: RunLogConfig = RunLogConfig()
    """Run log: each start is a run, its typed events in the state database."""
    dashboard: DashboardConfig = DashboardConfig()
    """Read-only dashboard and the daemon's HTTP listener."""
    metrics: MetricsConfig = MetricsConfig()
    """Prometheus ``/metrics``."""
    stages: StagesConfig = StagesConfig()
    """Stages: promotion checks, how far the running daemon may be promoted."""
    checks: ChecksConfig = ChecksConfig()
    """Health thresholds, check presets and their schedule."""


class ConfigError(Exception):
    """A config that must not be used; ``problems`` holds one operator-readable line each."""

    def __init__(self, problems: list[str]) -> None:
        problems = [redact_text(p) for p in problems]  # a value echoed back may be a secret
        super().__init__("\n".join(problems))
        self.problems = problems


class LoadedConfig(msgspec.Struct, frozen=True):
    """A validated config plus where it came from."""

    path: str
    config: Config
    digest: str  # sha256 of the effective values: identifies the config in run metadata


def load_config(path: str | Path) -> LoadedConfig:
    """Read, merge the profile under the file's keys, validate. Raises ConfigError."""
    file = Path(path)
    try:
        raw_bytes = file.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{file}: cannot read: {exc.strerror or exc}"]) from None
    return parse_config(raw_bytes, source=str(file))


def parse_config(raw_bytes: bytes, *, source: str) -> LoadedConfig:
    """Validate TOML text; ``source`` names it in error lines."""
    try:
        raw = msgspec.toml.decode(raw_bytes)
    except msgspec.DecodeError as exc:
        raise ConfigError([f"{source}: not valid TOML: {exc}"]) from None
    if not isinstance(raw, dict):  # pragma: no cover - tomllib always yields a table
        raise ConfigError([f"{source}: expected a TOML table at the top level"])

    problems: list[str] = []
    profile = _profile_of(raw, source, problems)
    merged = _deep_merge(PROFILES[profile], raw) if profile is not None else raw
    config = _convert_collecting(merged, source, problems)
    if config is not None:
        problems.extend(f"{source}: {line}" for line in semantic_problems(config))
    if problems or config is None:
        raise ConfigError(problems)
    return LoadedConfig(path=source, config=config, digest=config_digest(config))


def semantic_problems(config: Config) -> list[str]:
    """Rules that span keys: the mode/network matrix and live arming in the file."""
    problems = []
    run = config.run
    allowed = ALLOWED_NETWORKS[run.mode]
    if run.network not in allowed:
        names = ", ".join(sorted(n.value for n in allowed))
        problems.append(
            f"run.network: mode {run.mode.value!r} cannot run on network "
            f"{run.network.value!r}; allowed: {names}"
        )
    if run.mode is Mode.LIVE and not config.live.armed:
        problems.append('live.armed: mode "live" needs live.armed = true (and a confirmation)')
    if config.live.armed and run.mode is not Mode.LIVE:
        problems.append(f'live.armed: only meaningful with mode "live", not {run.mode.value!r}')
    if len(set(config.exchange.symbols)) != len(config.exchange.symbols):
        problems.append("exchange.symbols: each symbol may appear once")
    problems.extend(strategy_problems(config.strategy, config.exchange.symbols))
    problems.extend(stages_problems(config.stages, mode=run.mode.value, network=run.network.value))
    problems.extend(checks_problems(config.checks))
    if config.exchange.sim_url and run.network is not Network.SIM:
        problems.append('exchange.sim_url: only for network "sim"')
    if run.network is Network.SIM:
        listed = {f"{s.base}/{s.quote}" for s in config.sim.symbols}
        missing = [s for s in config.exchange.symbols if s not in listed]
        if missing and not config.exchange.sim_url:
            problems.append(f"exchange.symbols: the simulator does not list {', '.join(missing)}")
    return problems


def config_digest(config: Config) -> str:
    """Stable hash of the effective values."""
    return hashlib.sha256(msgspec.json.encode(config)).hexdigest()[:16]


def effective_toml(config: Config) -> str:
    """The effective values, profile included, as TOML (``check-config`` prints this)."""
    return msgspec.toml.encode(_drop_none(msgspec.to_builtins(config))).decode()


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _profile_of(raw: dict[str, Any], source: str, problems: list[str]) -> Profile | None:
    name = raw.get("profile", Profile.DEV.value)
    try:
        return Profile(name)
    except ValueError:
        choices = ", ".join(repr(p.value) for p in Profile)
        problems.append(f"{source}: profile: expected one of {choices}, got {name!r}")
        raw.pop("profile", None)
        return None


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<field>[^`]+)`$")
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_MAX_PROBLEMS = 50


def _convert_collecting(raw: dict[str, Any], source: str, problems: list[str]) -> Config | None:
    """Validate section by section so one bad section does not hide problems in the others."""
    sections: dict[str, Any] = {}
    hints = typing.get_type_hints(Config, include_extras=True)
    ok = True
    for key, value in raw.items():
        if key not in hints:
            problems.append(f"{source}: {key}: unknown section or key (check the spelling)")
            ok = False
            continue
        converted = _convert_section(value, hints[key], [key], source, problems)
        ok = ok and converted is not _INVALID
        sections[key] = converted
    if not ok:
        return None
    try:
        return msgspec.convert(sections, Config, from_attributes=True)
    except msgspec.ValidationError as exc:  # a missing required section
        match = _AT.match(str(exc))
        assert match is not None
        problems.append(f"{source}: {_explain(match['msg'], [])}")
        return None


_INVALID = object()


def _convert_section(
    value: Any, tp: Any, prefix: list[str | int], source: str, problems: list[str]
) -> Any:
    """msgspec stops at the first error; drop the offending key and retry to find the rest."""
    data = value
    found = False
    for _ in range(_MAX_PROBLEMS):
        try:
            converted = msgspec.convert(data, tp)
        except msgspec.ValidationError as exc:
            found = True
            match = _AT.match(str(exc))
            assert match is not None  # the pattern matches any string
            msg, path = match["msg"], [*prefix, *_parse_path(match["path"] or "")]
            unknown = _UNKNOWN.match(msg)
            if unknown:
                path = [*path, unknown["field"]]
                line = "unknown key (not a setting here; check the spelling)"
            else:
                line = _explain(msg, path)
                if ", got" not in line and (bad := _value_at(data, path[len(prefix) :])):
                    line += f", got {bad[0]!r}"
            problems.append(f"{source}: {_dotted(path)}: {line}")
            if len(path) == len(prefix) or not _delete(data, path[len(prefix) :], path):
                return _INVALID
        else:
            return _INVALID if found else converted
    problems.append(f"{source}: {_dotted(prefix)}: too many problems; fix these first")
    return _INVALID


def _parse_path(text: str) -> list[str | int]:
    return [name if name else int(index) for name, index in _PATH_PART.findall(text)]


def _dotted(path: list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


def _delete(data: Any, path: list[str | int], full_path: list[str | int]) -> bool:
    """Remove the value at ``path`` so the next pass reports the next problem."""
    node = data
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    last = path[-1]
    if isinstance(node, dict) and last in node:
        if isinstance(last, str) and _is_required(full_path):
            return False
        del node[last]
        return True
    if isinstance(node, list) and isinstance(last, int) and last < len(node):
        del node[last]
        return True
    return False


def _value_at(data: Any, path: list[str | int]) -> tuple[Any] | None:
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return (node,)


def _explain(msg: str, path: list[str | int]) -> str:
    """Reword msgspec's message, naming the choices for enums."""
    field_type = _type_at(path)
    is_enum = isinstance(field_type, type) and issubclass(field_type, enum.Enum)
    if msg.startswith("Invalid enum value") and is_enum:
        choices = ", ".join(repr(m.value) for m in field_type)
        return f"expected one of {choices}"
    if msg.startswith("Object missing required field"):
        return f"missing required key: {msg.removeprefix('Object missing required field ')}"
    return f"{msg[0].lower()}{msg[1:]}"


def _type_at(path: list[str | int]) -> Any:
    """The declared type of the field at ``path``, unwrapping containers and Annotated."""
    current: Any = Config
    for part in path:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else Any
            continue
        if isinstance(current, type) and issubclass(current, msgspec.Struct):
            hints = typing.get_type_hints(current, include_extras=True)
            current = hints.get(part, Any)
        else:
            return Any
    return _unwrap(current)


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _is_required(path: list[str | int]) -> bool:
    """A required key cannot be dropped to look further: msgspec would only report it missing."""
    parent = _type_at(path[:-1])
    if not (isinstance(parent, type) and issubclass(parent, msgspec.Struct)):
        return False
    info = msgspec.inspect.type_info(parent)
    assert isinstance(info, msgspec.inspect.StructType)
    return any(f.name == path[-1] and f.required for f in info.fields)
