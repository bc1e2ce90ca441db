-- Reports (core/report) sum journal entries by their time in a period.
CREATE INDEX journal_entries_created ON journal_entries (tenant_id, created_at);
