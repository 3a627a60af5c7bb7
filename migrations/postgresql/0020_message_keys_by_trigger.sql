-- The message path's rows no longer check their parents row by row.
--
-- Every message row ran two foreign-key triggers (its conversation, its contact) and every
-- outbox row one (its tenant). Each check is an index lookup plus a FOR KEY SHARE lock on the
-- parent row, which writes the lock into the row and, when several transactions lock one row
-- (the tenant of every reply), a multixact. On the message path the engine writes a message's
-- conversation and contact in the same transaction, before the message, so the checks found
-- what had just been written: measured, they were half of the inbound insert's time and 6% of
-- PostgreSQL's CPU per reply (bench/README.md, 2026-12-04).
--
-- What the keys also did, deleting a parent's rows, stays: statement-level triggers delete
-- the messages of deleted contacts and conversations, and the outbox rows of deleted tenants,
-- in the deleting statement's transaction. Nothing in the engine deletes these parents; an
-- operator's SQL or a tenant's removal does.
ALTER TABLE messages DROP CONSTRAINT messages_tenant_id_conversation_id_fkey;
ALTER TABLE messages DROP CONSTRAINT messages_tenant_id_contact_id_fkey;
ALTER TABLE outbox_messages DROP CONSTRAINT outbox_messages_tenant_id_fkey;

CREATE FUNCTION delete_messages_of_gone_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM messages m USING gone g WHERE m.tenant_id = g.tenant_id AND m.contact_id = g.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER contacts_take_their_messages AFTER DELETE ON contacts
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
  EXECUTE FUNCTION delete_messages_of_gone_contacts();

CREATE FUNCTION delete_messages_of_gone_conversations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM messages m USING gone g
    WHERE m.tenant_id = g.tenant_id AND m.conversation_id = g.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER conversations_take_their_messages AFTER DELETE ON conversations
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
  EXECUTE FUNCTION delete_messages_of_gone_conversations();

CREATE FUNCTION delete_outbox_of_gone_tenants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM outbox_messages o USING gone g WHERE o.tenant_id = g.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER tenants_take_their_outbox AFTER DELETE ON tenants
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
  EXECUTE FUNCTION delete_outbox_of_gone_tenants();
