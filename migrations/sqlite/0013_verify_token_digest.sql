-- Hardening (issue 17): Meta's GET handshake finds the channel whose verify token it presents by
-- a keyed digest (HMAC-SHA256 under a key derived from the master key, "KEY_ID:HEX"), one
-- indexed read, instead of opening every tenant's sealed token on each unauthenticated request.
-- The engine fills the digest of existing rows when it starts.
ALTER TABLE channel_accounts ADD COLUMN verify_token_digest TEXT;
CREATE INDEX channel_accounts_verify_digest ON channel_accounts (channel_type, verify_token_digest)
  WHERE verify_token_digest IS NOT NULL;
