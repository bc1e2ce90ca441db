package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
)

// NewMailer returns the mailer for cfg: an outbox mailer that records each
// tenant mail in mail_outbox and delivers it through SMTP when
// cfg.SMTPURL is set ("smtp://user:pass@host:port" with STARTTLS when the
// server offers it, or "smtps://…" for TLS from the start), or otherwise
// only logs it ("mail (no SMTP configured)"). A malformed SMTPURL is
// logged and mail falls back to the log.
func NewMailer(cfg Config, d *db.DB) identity.Mailer {
	m := &identity.OutboxMailer{DB: d}
	if cfg.SMTPURL == "" {
		return m
	}
	s, err := newSMTP(cfg.SMTPURL, cfg.MailFrom)
	if err != nil {
		slog.Error("mail: JISHI_SMTP_URL unusable, mail goes to the log only", "err", err)
		return m
	}
	m.Deliver = s.send
	return m
}

type smtpSender struct {
	host, addr string
	implicit   bool // smtps: TLS from the first byte
	user, pass string
	from       string
}

func newSMTP(raw, from string) (*smtpSender, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse SMTP URL: %w", err)
	}
	s := &smtpSender{host: u.Hostname(), from: from}
	switch u.Scheme {
	case "smtp":
		s.addr = net.JoinHostPort(s.host, portOr(u.Port(), "587"))
	case "smtps":
		s.implicit = true
		s.addr = net.JoinHostPort(s.host, portOr(u.Port(), "465"))
	default:
		return nil, fmt.Errorf("SMTP URL scheme %q: want smtp or smtps", u.Scheme)
	}
	if s.host == "" {
		return nil, fmt.Errorf("SMTP URL has no host")
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	if a, err := mail.ParseAddress(from); err != nil || a.Address == "" {
		return nil, fmt.Errorf("mail sender %q: not an address", from)
	}
	return s, nil
}

func portOr(p, def string) string {
	if p == "" {
		return def
	}
	return p
}

// send delivers m within 30 seconds (or ctx's deadline, if sooner).
func (s *smtpSender) send(ctx context.Context, m identity.Mail) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("recipient %q: %w", m.To, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var dl net.Dialer
	conn, err := dl.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("dial SMTP %s: %w", s.addr, err)
	}
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	tlsCfg := &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	if s.implicit {
		conn = tls.Client(conn, tlsCfg)
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP greeting: %w", err)
	}
	defer c.Close()
	if !s.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsCfg); err != nil {
				return fmt.Errorf("SMTP STARTTLS: %w", err)
			}
		}
	}
	if s.user != "" {
		// PlainAuth refuses to send the password over an unencrypted
		// connection to anything but localhost.
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return fmt.Errorf("SMTP auth: %w", err)
		}
	}
	from, _ := mail.ParseAddress(s.from)
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("SMTP MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("SMTP RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if _, err := w.Write(message(from.String(), to.String(), m.Subject, m.Body)); err != nil {
		return fmt.Errorf("SMTP write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("SMTP end of data: %w", err)
	}
	return c.Quit()
}

// message builds a UTF-8 plain-text message; the subject is RFC 2047
// encoded and the body base64, so no header can be injected and Chinese
// text survives every relay.
func message(from, to, subject, body string) []byte {
	clean := func(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", clean(from))
	fmt.Fprintf(&b, "To: %s\r\n", clean(to))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.BEncoding.Encode("utf-8", clean(subject)))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}
