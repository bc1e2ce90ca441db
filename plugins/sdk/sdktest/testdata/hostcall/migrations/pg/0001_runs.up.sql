CREATE TABLE runs (
  tenant_id TEXT NOT NULL,
  run_id    TEXT NOT NULL,
  PRIMARY KEY (tenant_id, run_id)
);
