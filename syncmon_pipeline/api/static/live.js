// The live dashboard (served inline by GET /, after live_rows.js): shows "Running now" and "Firing
// alerts" as /v1/stream brings them, and swaps in the new content when a snapshot is published.
//
// - The token arrives once as ?access_token=; it is kept for this tab (sessionStorage), removed from the
//   address bar, sent as Authorization to /live/fragment and as ?access_token= to the stream
//   (EventSource cannot set headers).
// - Rows are built with textContent only. The one piece of markup the page takes in is the server's
//   own rendering of the main content (/live/fragment, escaped by its templates), parsed inertly.
(function () {
  "use strict";
  var TOKEN_KEY = "syncmon-token";
  var NUMERIC = {int: true, number: true, percent: true, seconds: true};
  var fmt = SyncmonRows.fmt, sortKey = SyncmonRows.sortKey;
  var state = JSON.parse(document.getElementById("live-state").textContent);
  var token = takeToken();
  var lastId = state.cursor;
  var sessions = new SyncmonRows.Sessions(state.terminal), alerts = new SyncmonRows.Alerts();
  var source = null, retryMs = 2000, renderPending = false, refreshing = false, refreshAgain = false;

  function takeToken() {
    var params = new URLSearchParams(location.search), found = params.get("access_token");
    if (found) {
      try { sessionStorage.setItem(TOKEN_KEY, found); } catch (e) { /* storage disabled: this load only */ }
      params.delete("access_token");
      var rest = params.toString();
      history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
      return found;
    }
    try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }

  // ---- rendering ----
  function renderTable(id, columns, rows) {
    var table = document.getElementById(id);
    if (!table) { return; }
    var body = document.createElement("tbody");
    if (!rows.length) {
      var cell = body.insertRow().insertCell();
      cell.colSpan = columns.length;
      cell.className = "nodata";
      cell.textContent = "No rows in this period.";
    }
    rows.forEach(function (row) {
      var tr = body.insertRow();
      tr.setAttribute("data-key", row.key);
      if (row.provisional) { tr.classList.add("provisional"); }
      if (row.fresh) { tr.classList.add("fresh"); }
      columns.forEach(function (c) {
        var td = tr.insertCell(), value = row[c.key];
        if (NUMERIC[c.kind]) { td.setAttribute("data-n", sortKey(value)); }
        else if (value === null || value === undefined) { td.setAttribute("data-t", ""); }
        td.textContent = fmt(value, c.kind);
        if (c.key === "status" && row.provisional) {
          var tag = document.createElement("span");
          tag.className = "tag provisional";
          tag.title = "not ingested yet";
          tag.textContent = "provisional";
          td.appendChild(tag);
        }
      });
    });
    table.replaceChild(body, table.tBodies[0]);
    applySort(table);
  }

  function setFigure(key, value) {
    var el = document.querySelector('.figure[data-key="' + key + '"] .value');
    if (el) { el.textContent = fmt(value, "int"); }
  }

  function render() {
    var running = sessions.rows(state.running.rows, Date.now()), shown = alerts.rows();
    renderTable("table-running_sessions", state.running.columns, running);
    renderTable("table-firing_alerts", state.alerts.columns, shown);
    setFigure("active_syncs", running.length); // the same sessions: not finished, heard from within 6 h
    setFigure("alerts_firing", shown.filter(function (a) { return a.status === "firing"; }).length);
    sessions.fresh.clear();
    alerts.fresh.clear();
  }
  function scheduleRender() {
    if (renderPending) { return; }
    renderPending = true;
    setTimeout(function () { renderPending = false; render(); }, 50);
  }

  // ---- sorting (the static page's rules, kept through every update) ----
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    if (cell.hasAttribute("data-n")) { return cell.getAttribute("data-n"); }
    return cell.hasAttribute("data-t") ? cell.getAttribute("data-t") : cell.textContent;
  }
  function sortBy(th, ascending) {
    var body = th.closest("table").tBodies[0], numeric = th.classList.contains("n");
    var index = Array.prototype.indexOf.call(th.parentElement.children, th);
    var rows = Array.prototype.slice.call(body.rows);
    if (rows.length && rows[0].querySelector(".nodata")) { return; }
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      if (x === "" || y === "") { return (x === "") - (y === ""); }
      var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  function applySort(table) {
    var th = table.querySelector("th[aria-sort]");
    if (th) { sortBy(th, th.getAttribute("aria-sort") === "ascending"); }
  }
  function bindSorting(root) { // the static page's script binds the first tables; these replace them
    root.querySelectorAll("table.sortable th button").forEach(function (button) {
      button.addEventListener("click", function () {
        var th = button.parentElement, ascending = th.getAttribute("aria-sort") !== "ascending";
        th.closest("table").querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        sortBy(th, ascending);
      });
    });
  }

  // ---- a new snapshot: the server's new main content, charts and rows ----
  function drawCharts(specs, tries) {
    if (!window.Plotly) { // the static page's script is still unpacking plotly.js, or could not
      if (document.documentElement.getAttribute("data-charts") === "failed" || tries > 150) {
        document.querySelectorAll(".chart").forEach(function (el) {
          el.textContent = "Charts could not be drawn. The tables hold every figure.";
        });
        return;
      }
      setTimeout(function () { drawCharts(specs, tries + 1); }, 200);
      return;
    }
    Object.keys(specs).forEach(function (id) {
      var target = document.getElementById(id);
      if (target) { window.Plotly.newPlot(target, specs[id].data, specs[id].layout, {responsive: true, displaylogo: false}); }
    });
  }

  function swap(body) {
    var main = document.querySelector("main"), parsed = new DOMParser().parseFromString(body.html, "text/html");
    if (window.Plotly) { main.querySelectorAll(".chart").forEach(function (el) { window.Plotly.purge(el); }); }
    var nodes = document.createDocumentFragment();
    Array.prototype.slice.call(parsed.body.childNodes).forEach(function (node) { nodes.appendChild(document.adoptNode(node)); });
    main.replaceChildren(nodes);
    state = Object.assign(state, body.state);
    alerts.reset(state.alerts.rows);
    var asOf = document.getElementById("live-as-of");
    if (asOf) { asOf.textContent = "Data as of " + fmt(state.as_of, "datetime") + " UTC"; }
    bindSorting(main);
    render();
    drawCharts(body.charts, 0);
    document.documentElement.setAttribute("data-live-refreshed", String(Date.now()));
  }

  function refresh() {
    if (refreshing) { refreshAgain = true; return; }
    refreshing = true;
    fetch("/live/fragment", {headers: {Authorization: "Bearer " + token}, cache: "no-store"})
      .then(function (response) {
        if (!response.ok) { throw new Error("the dashboard could not be reloaded (" + response.status + ")"); }
        return response.json();
      })
      .then(swap)
      .catch(function (error) { setStatus("reconnecting", error.message); })
      .then(function () {
        refreshing = false;
        if (refreshAgain) { refreshAgain = false; setTimeout(refresh, 250); }
      });
  }

  // ---- the stream ----
  function setStatus(name, text) {
    var el = document.getElementById("live-status");
    if (el) { el.setAttribute("data-state", name); el.textContent = text; }
    document.documentElement.setAttribute("data-live", name);
  }

  function handle(msg) {
    var kind = msg.kind;
    if (kind.indexOf("session_") === 0) { sessions.apply(msg); scheduleRender(); }
    else if (kind.indexOf("alert_") === 0) { alerts.apply(msg); scheduleRender(); }
    else if (kind === "ingested") { sessions.ingested(Number(msg.data && msg.data.through_id)); scheduleRender(); }
    else if (kind === "snapshot_published") { refresh(); }
    else if (kind === "resync") { alerts.log = []; refresh(); } // messages were missed: reload the rows
  }

  function connect() {
    if (!token) { setStatus("closed", "not following: open the page with ?access_token="); return; }
    var params = new URLSearchParams();
    params.set("access_token", token);
    params.set("last_event_id", String(lastId));
    state.kinds.forEach(function (k) { params.append("kind", k); });
    source = new EventSource("/v1/stream?" + params.toString());
    source.onopen = function () { retryMs = 2000; setStatus("live", "live"); };
    source.onmessage = function (event) {
      var msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      if (!msg || typeof msg.kind !== "string") { return; }
      if (typeof msg.id === "number") { lastId = msg.id; }
      handle(msg);
    };
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) { // refused (a revoked token?) or the service is gone
        source.close();
        setStatus("closed", "disconnected; retrying in " + Math.round(retryMs / 1000) + " s");
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 60000);
      } else {
        setStatus("reconnecting", "reconnecting"); // the browser reconnects with Last-Event-ID by itself
      }
    };
  }

  function start() {
    alerts.reset(state.alerts.rows);
    render();
    connect();
    setInterval(function () { sessions.prune(Date.now()); render(); }, 10000); // "running for" moves on
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
