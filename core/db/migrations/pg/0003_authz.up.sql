-- Role assignments: user_id holds role (a template of core/authz's
-- roles.csv) in domain ("t/T", "t/T/r/R", "t/T/s/S" or "t/T/r/R/s/S").
-- The role templates themselves are embedded in the binary; only
-- assignments are stored, so adding a shop adds rows here and nothing else.

CREATE TABLE role_assignments (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  user_id    uuid NOT NULL,
  role       text NOT NULL,
  domain     text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, user_id, role, domain),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX role_assignments_role ON role_assignments (tenant_id, role, domain);

SELECT jishi_apply_tenant_rls();
