-- The console (issue 18). Analytics per day come from the usage counters, so a batch's usage
-- row also counts the replies made by AI and by people, and the messages left unanswered.
ALTER TABLE usage_deltas ADD COLUMN ai_answers BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_deltas ADD COLUMN human_replies BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_deltas ADD COLUMN unanswered BIGINT NOT NULL DEFAULT 0;
-- Who wrote a person's reply: the name given with it, and the credential that sent it.
ALTER TABLE messages ADD COLUMN sent_by TEXT;
