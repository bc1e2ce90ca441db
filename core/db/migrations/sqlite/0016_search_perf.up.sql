-- SQLite twin of pg/0016_search_perf.up.sql, which raises PostgreSQL's
-- statistics target for search_tokens.token. SQLite keeps no per-column
-- target and plans search from the primary key alone, so there is
-- nothing to change; the migration keeps both histories numbered alike.
SELECT 1;
