-- Search (core/search): statistics for query prefixes. A prefix of a
-- query word (caom, dami) is a range over search_tokens.token; with the
-- default statistics target the planner takes such a range for a handful
-- of rows and joins the documents row by row, where thousands match. A
-- sample large enough to list every common token lets it estimate ranges
-- as well as single tokens. (Lookups need no new index: the primary key
-- (tenant_id, token, product_id) INCLUDE (weight) covers them, and tokens
-- compare byte-wise (COLLATE "C"), so a prefix is a range on it.)
ALTER TABLE search_tokens ALTER COLUMN token SET STATISTICS 1000;
ANALYZE search_tokens;

SELECT jishi_apply_tenant_rls();
