-- Identity holds when calls fail (the third wave's first issue): agents are told when two
-- verified contacts share an email (only the user id is signed), which this index answers per
-- row of the conversation list; and the email fallback writes only to signed addresses unless
-- the owner trusts unsigned ones.
CREATE INDEX contacts_by_email ON contacts (workspace_id, lower(email)) WHERE email IS NOT NULL;
ALTER TABLE workspaces ADD COLUMN trust_unsigned_email BOOLEAN NOT NULL DEFAULT FALSE;
