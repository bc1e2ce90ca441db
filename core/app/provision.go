package app

// registerProvisioning adds the core's steps to tenant provisioning. The
// identity and merchant work add theirs here (first admin account and its
// tenant_admin role; the flagship shop 官方旗舰店).
func (a *App) registerProvisioning() {}
