-- Managed by Pulumi (vpn:index:VpnRegion). The RADIUS server's database, created
-- and upgraded by the apply step (idempotent: it runs on every apply).
--
-- radacct: one row per session (IKE_SA), as FreeRADIUS's SQL module keeps it; the
-- columns our queries in radiusd.conf use. Open rows (no stop time) are the
-- sessions Simultaneous-Use counts.
CREATE TABLE IF NOT EXISTS radacct (
  radacctid INTEGER PRIMARY KEY AUTOINCREMENT,
  acctsessionid TEXT NOT NULL DEFAULT '',
  acctuniqueid TEXT NOT NULL DEFAULT '',
  username TEXT NOT NULL DEFAULT '',
  nasportid TEXT,
  acctstarttime INTEGER,
  acctupdatetime INTEGER,
  acctstoptime INTEGER,
  acctsessiontime INTEGER,
  acctinputoctets INTEGER,
  acctoutputoctets INTEGER,
  callingstationid TEXT NOT NULL DEFAULT '',
  framedipaddress TEXT NOT NULL DEFAULT '',
  acctterminatecause TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX IF NOT EXISTS radacct_unique ON radacct (acctuniqueid);
CREATE INDEX IF NOT EXISTS radacct_open ON radacct (username, acctstoptime);

-- Per-user usage by UTC day. Triggers turn every accounting update into deltas,
-- so a day's or month's total is exact even for a session that spans midnight or
-- runs for weeks, and it survives restarts (charon's counters start again at 0 in
-- each new session; the stored sums do not).
CREATE TABLE IF NOT EXISTS vpn_usage_daily (
  username TEXT NOT NULL,
  day TEXT NOT NULL,
  bytes_in INTEGER NOT NULL DEFAULT 0,
  bytes_out INTEGER NOT NULL DEFAULT 0,
  seconds INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (username, day)
);

-- Start (counters 0) or a row inserted by an Interim-Update/Stop whose Start was lost.
CREATE TRIGGER IF NOT EXISTS vpn_usage_on_insert AFTER INSERT ON radacct BEGIN
  INSERT INTO vpn_usage_daily (username, day, bytes_in, bytes_out, seconds)
  VALUES (NEW.username, date('now'), COALESCE(NEW.acctinputoctets, 0), COALESCE(NEW.acctoutputoctets, 0), COALESCE(NEW.acctsessiontime, 0))
  ON CONFLICT (username, day) DO UPDATE SET
    bytes_in = bytes_in + excluded.bytes_in,
    bytes_out = bytes_out + excluded.bytes_out,
    seconds = seconds + excluded.seconds;
END;

-- Interim-Update and Stop: what grew since the last packet of that session.
CREATE TRIGGER IF NOT EXISTS vpn_usage_on_update AFTER UPDATE OF acctinputoctets, acctoutputoctets, acctsessiontime ON radacct BEGIN
  INSERT INTO vpn_usage_daily (username, day, bytes_in, bytes_out, seconds)
  VALUES (
    NEW.username, date('now'),
    MAX(COALESCE(NEW.acctinputoctets, 0) - COALESCE(OLD.acctinputoctets, 0), 0),
    MAX(COALESCE(NEW.acctoutputoctets, 0) - COALESCE(OLD.acctoutputoctets, 0), 0),
    MAX(COALESCE(NEW.acctsessiontime, 0) - COALESCE(OLD.acctsessiontime, 0), 0))
  ON CONFLICT (username, day) DO UPDATE SET
    bytes_in = bytes_in + excluded.bytes_in,
    bytes_out = bytes_out + excluded.bytes_out,
    seconds = seconds + excluded.seconds;
END;
