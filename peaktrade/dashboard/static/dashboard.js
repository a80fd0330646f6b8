// The peaktrade dashboard: renders each view the daemon streams (server-sent events).
// Read-only; every value is set as text, never as HTML. No network assets.
"use strict";

const token = new URLSearchParams(location.search).get("token");
const suffix = token ? "?token=" + encodeURIComponent(token) : "";
window.peaktradeViews = 0; // views rendered since the page loaded (the e2e test reads it)

const $ = (id) => document.getElementById(id);
const fmt = (x, digits = 2) =>
  x === null || x === undefined ? "–" :
  Number(x).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const qty = (x) => (x === null || x === undefined ? "–" : Number(x).toPrecision(6).replace(/\.?0+$/, ""));
const time = (ms) => (ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) + "Z" : "–");
const signed = (el, x) => { el.classList.add(x > 0 ? "pos" : x < 0 ? "neg" : "muted"); return el; };

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function fillRows(tableId, rows, emptyText, columns) {
  const body = $(tableId).querySelector("tbody");
  const out = rows.map((row) => {
    const tr = document.createElement("tr");
    for (const c of columns(row)) tr.appendChild(c instanceof Node ? c : cell(String(c)));
    return tr;
  });
  if (!out.length) {
    const tr = document.createElement("tr");
    const td = cell(emptyText, "muted empty");
    td.colSpan = 12;
    tr.appendChild(td);
    out.push(tr);
  }
  body.replaceChildren(...out);
}

function bar(value, limit) {
  const wrap = document.createElement("div");
  if (limit === null || limit === undefined || limit <= 0) {
    wrap.className = "bar-label";
    wrap.textContent = fmt(value) + " (no limit)";
    return wrap;
  }
  const share = value / limit;
  const el = document.createElement("div");
  el.className = "bar" + (share >= 1 ? " fail" : share >= 0.8 ? " warn" : "");
  const fill = document.createElement("span");
  fill.style.width = Math.min(100, share * 100).toFixed(1) + "%";
  el.appendChild(fill);
  const label = document.createElement("div");
  label.className = "bar-label";
  label.textContent = fmt(value) + " / " + fmt(limit) + " (" + (share * 100).toFixed(1) + "%)";
  wrap.append(el, label);
  return wrap;
}

function render(v) {
  const id = v.identity;
  $("deployment").textContent = id.mode + "@" + id.network;
  $("identity").textContent =
    "account " + id.account + " · run " + id.run_id + " · v" + id.version + " · pid " + id.pid;
  $("updated").textContent = "updated " + time(v.at_ms);

  const t = v.trading;
  const badge = $("trading-state");
  badge.textContent = t.state;
  badge.className = "badge " + t.state;
  $("trading-reason").textContent = t.reason;
  $("trading-since").textContent = "since " + time(t.since_ms) + (t.changed_by ? " · by " + t.changed_by : "");

  const healthy = $("healthy");
  healthy.textContent = v.health.healthy ? "healthy" : "UNHEALTHY";
  healthy.className = "pill " + (v.health.healthy ? "ok" : "fail");
  fillRows("health", v.health.checks, "no checks", (c) => [
    cell(c.level.toUpperCase(), "lvl-" + c.level), c.name, c.value + (c.hint && c.level !== "ok" ? " → " + c.hint : ""),
  ]);

  const p = v.portfolio;
  const kv = $("portfolio");
  kv.replaceChildren();
  const ccy = id.quote_currency;
  if (p) {
    $("portfolio-ts").textContent = time(p.ts_ms);
    const pairs = [
      ["equity", fmt(p.equity) + " " + ccy], ["cash", fmt(p.cash) + " " + ccy],
      ["daily PnL", fmt(p.daily_pnl) + (p.daily_loss_limit ? " (loss limit " + fmt(p.daily_loss_limit) + ")" : ""), p.daily_pnl],
      ["realized / unrealized", fmt(p.realized_pnl) + " / " + fmt(p.unrealized_pnl)],
      ["drawdown", fmt(p.drawdown_pct) + " %" + (p.drawdown_limit_pct ? " (limit " + fmt(p.drawdown_limit_pct) + " %)" : "")],
    ];
    for (const [k, val, sign] of pairs) {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = val;
      if (sign !== undefined) signed(dd, sign);
      kv.append(dt, dd);
    }
    const total = $("exposure-total");
    total.replaceChildren(document.createTextNode("total exposure"), bar(p.total_exposure, p.total_exposure_limit));
  } else {
    $("portfolio-ts").textContent = "no snapshot yet";
  }
  fillRows("positions", p ? p.positions : [], "flat", (x) => [
    x.symbol, x.side, qty(x.size), fmt(x.avg_entry), fmt(x.mark), fmt(x.notional),
    signed(cell(fmt(x.unrealized_pnl)), x.unrealized_pnl), wrapCell(bar(x.notional, x.exposure_limit)),
  ]);

  fillRows("quotes", v.quotes, "no symbols", (q) => [
    q.symbol, fmt(q.bid), fmt(q.ask),
    cell(q.age_s === null ? "none" : q.age_s.toFixed(1) + " s" + (q.stale ? " STALE" : ""), q.stale ? "stale" : ""),
  ]);

  $("orders-count").textContent = v.open_orders.length + " open, " + v.orders_in_doubt + " in doubt";
  fillRows("orders", v.open_orders, "none", (o) => [
    o.client_order_id, o.side + " " + qty(o.qty) + " " + o.symbol + " " + o.type + (o.price ? " @ " + fmt(o.price) : ""),
    o.state, qty(o.filled_qty),
  ]);
  fillRows("fills", v.recent_fills, "no fills yet", (f) => [
    time(f.ts_ms), f.symbol, f.side, qty(f.qty), fmt(f.price), qty(f.fee) + " " + f.fee_currency, f.client_order_id,
  ]);
  fillRows("alerts", v.recent_alerts, "no alerts", (a) => [
    time(a.at_ms), cell(a.level + (a.resolved ? " (resolved)" : ""), "lvl-" + a.level), a.code,
    a.message + (a.count > 1 ? " ×" + a.count : ""),
  ]);
  window.peaktradeViews += 1;
}

function wrapCell(node) {
  const td = document.createElement("td");
  td.appendChild(node);
  return td;
}

function connect() {
  const link = $("link");
  const source = new EventSource("api/stream" + suffix);
  source.addEventListener("open", () => { link.textContent = "live"; link.className = "link up"; });
  source.addEventListener("error", () => { link.textContent = "reconnecting"; link.className = "link down"; });
  source.addEventListener("view", (e) => render(JSON.parse(e.data)));
}

document.addEventListener("DOMContentLoaded", connect);
