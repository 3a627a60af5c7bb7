-- Hardening (issue 17): an Idempotency-Key request is marked applied in the same transaction as
-- what it changed. A claim whose request crashed before that (older than its lease, not
-- applied) is run again by the next retry; one that was applied but whose response could not be
-- kept is never run again (409 idempotent_response_lost), so a retried POST /api-keys cannot
-- mint a second key.
ALTER TABLE idempotency_keys ADD COLUMN applied INTEGER NOT NULL DEFAULT 0 CHECK (applied IN (0, 1));
