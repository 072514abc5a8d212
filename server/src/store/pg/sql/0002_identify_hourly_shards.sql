-- Every identify adds one to its hour's count; with one row per (workspace, hour, outcome) every
-- concurrent identify waited for the row lock of the one before it, held through its commit's
-- flush (76 % of the database's time under `cargo xtask bench --postgres`). Each connection now
-- counts in a row of its own (`shard`, from its backend's pid); readers add the rows up.
ALTER TABLE identify_hourly ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE identify_hourly DROP CONSTRAINT identify_hourly_pkey;
ALTER TABLE identify_hourly ADD PRIMARY KEY (workspace_id, hour, result, code, hint, shard);
