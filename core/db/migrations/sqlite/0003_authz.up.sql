-- SQLite twin of pg/0003_authz.up.sql (no row-level security).
-- Role assignments: user_id holds role (a template of core/authz's
-- roles.csv) in domain ("t/T", "t/T/r/R", "t/T/s/S" or "t/T/r/R/s/S").

CREATE TABLE role_assignments (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  role       TEXT NOT NULL,
  domain     TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, user_id, role, domain),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX role_assignments_role ON role_assignments (tenant_id, role, domain);
