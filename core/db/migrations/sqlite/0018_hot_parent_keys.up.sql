-- PostgreSQL drops the foreign keys of the checkout's tables to shared
-- parent rows (see pg/0018); SQLite takes no row locks for them (one
-- writer at a time), so its keys stay.
SELECT 1;
