-- Hardening (issue 17): Meta's send rate is per phone number, so every engine on one database
-- shares it. Each number's budget is one row: a GCRA's theoretical arrival time, in
-- microseconds of the engines' clocks; engines reserve a few sends at a time from it.
-- Numbers are unique on the server, so the row belongs to no tenant.
CREATE TABLE send_pace (
  channel_type TEXT NOT NULL,
  account      TEXT NOT NULL,
  tat_us       BIGINT NOT NULL,
  granted      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (channel_type, account)
);
