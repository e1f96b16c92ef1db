// The live dashboard's rows (no DOM here): how figures read, and what the stream says about running
// sessions and firing alerts, merged with the snapshot's rows. live.js shows them.
//
// - Session events fold by event time (they arrive late and out of order); a terminal status ends the
//   session (its row goes); a session the snapshot does not have yet is provisional until an
//   `ingested` message says its events are in the warehouse.
// - Alert changes are kept in order since the page opened and applied again over every newer
//   snapshot's rows: replayed in order they end where the newest said, whether or not the snapshot
//   already had them.
var SyncmonRows = (function () {
  "use strict";
  var SIX_HOURS = 6 * 3600 * 1000;
  var SEVERITY_RANK = {critical: 0, error: 1, warning: 2};
  var ALERT_LOG = 2000;

  // As syncmon_pipeline/reports/formatting.py shows figures.
  function fmt(value, kind) {
    if (value === null || value === undefined || value === "") { return "\u2013"; }
    var n = Number(value);
    if (kind === "percent") { return (n * 100).toFixed(1) + "%"; }
    if (kind === "seconds") {
      if (n < 120) { return n.toFixed(1) + " s"; }
      if (n < 7200) { return (n / 60).toFixed(1) + " min"; }
      return (n / 3600).toFixed(1) + " h";
    }
    if (kind === "int") { return Math.trunc(n).toLocaleString("en-US"); }
    if (kind === "number") {
      return Math.abs(n) >= 100 ? n.toLocaleString("en-US", {maximumFractionDigits: 0})
        : n.toLocaleString("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 2});
    }
    if (kind === "datetime") {
      var t = Date.parse(value);
      return isNaN(t) ? String(value).slice(0, 16).replace("T", " ") : new Date(t).toISOString().slice(0, 16).replace("T", " ");
    }
    return String(value);
  }
  function sortKey(value) {
    return value === null || value === undefined || value === "" ? "" : String(Number(Number(value).toPrecision(6)));
  }
  function ms(value) { var t = Date.parse(value); return isNaN(t) ? null : t; }
  function iso(t) { return t === null || t === undefined ? null : new Date(t).toISOString(); }
  function key(integration, session) { return String(integration) + "\u0001" + String(session); }

  function Sessions(terminalStatuses) {
    this.terminal = {};
    terminalStatuses.forEach(function (s) { this.terminal[s] = true; }, this);
    this.map = new Map(); // integration + session id -> what the stream said about the session
    this.fresh = new Set();
  }
  Sessions.prototype.ended = function (s) { return Boolean(s.status && this.terminal[s.status]); };
  Sessions.prototype.apply = function (msg) {
    var d = msg.data || {}, p = d.payload || {}, integration = d.integration_id || msg.integration_id;
    if (!d.session_id || !integration) { return; }
    var k = key(integration, d.session_id), s = this.map.get(k);
    if (!s) {
      s = {key: k, integration_id: integration, session_id: d.session_id, status: null, stage: null, statusAt: -Infinity,
           createdAt: null, runningAt: null, lastEventAt: null, records: {}, errors: new Set(), provisional: false, lastId: 0};
      this.map.set(k, s);
    }
    var at = ms(d.occurred_at);
    if (at === null) { at = ms(msg.at) || Date.now(); }
    s.lastId = Math.max(s.lastId, msg.id);
    s.seenAt = Date.now();
    if (d.provisional) { s.provisional = true; }
    if (s.lastEventAt === null || at > s.lastEventAt) { s.lastEventAt = at; }
    if (msg.kind === "session_created") {
      s.createdAt = s.createdAt === null ? at : Math.min(s.createdAt, at);
    } else if (msg.kind === "session_status" && typeof p.status === "string") {
      if (at >= s.statusAt) {
        s.status = p.status;
        s.stage = p.stage === undefined ? s.stage : p.stage;
        s.statusAt = at;
      }
      if (p.status === "running") { s.runningAt = s.runningAt === null ? at : Math.min(s.runningAt, at); }
    } else if (msg.kind === "session_progress") {
      var entity = p.entity_type || "";
      s.records[entity] = Math.max(s.records[entity] || 0, Number(p.records_processed) || 0);
    } else if (msg.kind === "session_error") {
      s.errors.add(d.event_id || msg.id);
    }
    this.fresh.add(k);
  };
  Sessions.prototype.ingested = function (throughId) {
    this.map.forEach(function (s) { if (s.lastId <= throughId) { s.provisional = false; } });
  };
  Sessions.prototype.prune = function (now) {
    var map = this.map;
    map.forEach(function (s, k) { if (now - s.seenAt > SIX_HOURS) { map.delete(k); } });
  };
  function recordsOf(s) {
    var total = 0, any = false;
    Object.keys(s.records).forEach(function (k) { total += s.records[k]; any = true; });
    return any ? total : null;
  }
  // The rows of "Running now": the snapshot's, updated by the stream, and the stream's own.
  Sessions.prototype.rows = function (snapshotRows, now) {
    var self = this, rows = [], inSnapshot = new Set();
    snapshotRows.forEach(function (r) {
      var k = key(r.integration_id, r.session_id), s = self.map.get(k);
      inSnapshot.add(k);
      var row = {key: k, integration_id: r.integration_id, status: r.status, stage: r.stage, started: ms(r.started_at),
                 records_processed: r.records_processed, error_count: r.error_count, provisional: false};
      if (s) {
        if (self.ended(s)) { return; } // ended since the snapshot
        if (s.status && s.statusAt >= (ms(r.last_event_at) || 0)) {
          row.status = s.status;
          row.stage = s.stage === null || s.stage === undefined ? row.stage : s.stage;
          row.provisional = s.provisional;
        }
        var live = recordsOf(s);
        if (live !== null) { row.records_processed = Math.max(Number(row.records_processed) || 0, live); }
        row.error_count = Math.max(Number(row.error_count) || 0, s.errors.size);
      }
      rows.push(row);
    });
    this.map.forEach(function (s) {
      if (inSnapshot.has(s.key) || self.ended(s)) { return; }
      rows.push({key: s.key, integration_id: s.integration_id, status: s.status || "pending", stage: s.stage,
                 started: s.runningAt !== null ? s.runningAt : (s.createdAt !== null ? s.createdAt : s.lastEventAt),
                 records_processed: recordsOf(s), error_count: s.errors.size, provisional: s.provisional});
    });
    rows.forEach(function (row) {
      row.started_at = iso(row.started);
      row.running_seconds = row.started === null ? null : Math.max(0, (now - row.started) / 1000);
      row.fresh = self.fresh.has(row.key);
    });
    rows.sort(function (a, b) {
      return (a.started === null) - (b.started === null) || (a.started || 0) - (b.started || 0)
        || String(a.integration_id).localeCompare(String(b.integration_id));
    });
    return rows;
  };

  function Alerts() {
    this.map = new Map(); // alert id -> row
    this.log = []; // the alert messages since the page opened (the latest ALERT_LOG)
    this.fresh = new Set();
  }
  // New rows from a snapshot, with the changes since the page opened applied again.
  Alerts.prototype.reset = function (rows) {
    var map = this.map = new Map();
    rows.forEach(function (r) { map.set(r.alert_id || r.fingerprint, Object.assign({}, r)); });
    this.log.forEach(this.change, this);
    this.fresh.clear();
  };
  Alerts.prototype.apply = function (msg) {
    this.log.push(msg);
    if (this.log.length > ALERT_LOG) { this.log.splice(0, this.log.length - ALERT_LOG); }
    this.change(msg);
  };
  Alerts.prototype.find = function (d) {
    if (d.alert_id && this.map.has(d.alert_id)) { return d.alert_id; }
    var found = null;
    if (d.fingerprint) { this.map.forEach(function (row, k) { if (row.fingerprint === d.fingerprint) { found = k; } }); }
    return found || d.alert_id || d.fingerprint || null;
  };
  Alerts.prototype.change = function (msg) {
    var nested = msg.data && typeof msg.data.alert === "object" && msg.data.alert;
    var d = Object.assign({}, msg.data || {}, nested || {}), k = this.find(d);
    if (!k) { return; }
    if (msg.kind === "alert_resolved" || d.status === "resolved") { this.map.delete(k); return; }
    var row = Object.assign({}, this.map.get(k) || {alert_id: d.alert_id || null});
    var fields = {fingerprint: d.fingerprint, severity: d.severity, alert_type: d.alert_type || d.type || d.rule,
                  integration_id: d.integration_id || msg.integration_id, fired_at: d.fired_at,
                  acknowledged_by: d.acknowledged_by, summary: d.summary, status: d.status};
    Object.keys(fields).forEach(function (f) { if (fields[f] !== undefined && fields[f] !== null) { row[f] = fields[f]; } });
    if (msg.kind === "alert_firing") { row.status = "firing"; row.fired_at = row.fired_at || d.at || msg.at; }
    if (msg.kind === "alert_acknowledged") {
      row.status = "acknowledged";
      row.acknowledged_by = d.acknowledged_by || d.by || d.actor || row.acknowledged_by || null;
    }
    this.map.set(k, row);
    this.fresh.add(k);
  };
  // Most severe first, newest first (as reports/sql/dashboard_alerts.sql orders them).
  Alerts.prototype.rows = function () {
    var fresh = this.fresh, rows = [];
    this.map.forEach(function (row, k) { rows.push(Object.assign({key: k, fresh: fresh.has(k)}, row)); });
    rows.sort(function (a, b) {
      var ra = a.severity in SEVERITY_RANK ? SEVERITY_RANK[a.severity] : 3;
      var rb = b.severity in SEVERITY_RANK ? SEVERITY_RANK[b.severity] : 3;
      return ra - rb || (ms(b.fired_at) || 0) - (ms(a.fired_at) || 0);
    });
    return rows;
  };

  return {fmt: fmt, sortKey: sortKey, Sessions: Sessions, Alerts: Alerts};
})();
