-- Hardening (issue 17): with several Meta apps, the app whose secret signed a webhook must be the
-- app the receiving number belongs to, or one app's secret could inject events for every
-- tenant. NULL: the number belongs to the app that serves the bare /webhook/whatsapp path.
ALTER TABLE channel_accounts ADD COLUMN app TEXT;
