-- A shop's own returns window (无理由退货) in days, 0 to 90: 0 means the
-- shop takes no returns without reason; NULL means the tenant's default
-- (Settings.ReturnDays, 7天无理由退货).
ALTER TABLE shops ADD COLUMN return_days INTEGER
  CHECK (return_days IS NULL OR (return_days >= 0 AND return_days <= 90));
