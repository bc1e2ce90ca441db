package identity

import (
	"fmt"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/jishi-dev/jishi/core"
)

// productionParams follow OWASP's argon2id recommendation (19 MiB, two
// passes, one lane): a few tens of milliseconds per hash, and a memory cost
// many concurrent sign-ins can afford.
var productionParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// fastParams are for tests and benchmarks only (Config.FastHashing).
var fastParams = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func (s *Service) params() *argon2id.Params {
	if s.cfg.FastHashing {
		return fastParams
	}
	return productionParams
}

// checkPassword records a field error when password is too short or too
// long. Passwords are not trimmed: spaces are characters too.
func checkPassword(fe *core.FieldErrors, field, password string) {
	n := utf8.RuneCountInString(password)
	switch {
	case n == 0:
		fe.Add(field, "field.required")
	case n < PasswordMin:
		fe.Add(field, "identity.field.password_too_short")
	case n > PasswordMax:
		fe.Add(field, "identity.field.password_too_long")
	case !utf8.ValidString(password):
		fe.Add(field, "field.invalid")
	}
}

func (s *Service) hashPassword(password string) (string, error) {
	h, err := argon2id.CreateHash(password, s.params())
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// verifyPassword reports whether password matches hash. A malformed hash
// never matches.
func verifyPassword(password, hash string) bool {
	if len(password) > 4*PasswordMax {
		return false
	}
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && ok
}

// burnPassword spends the time of one comparison, so that a login naming
// no account answers as slowly as a wrong password.
func (s *Service) burnPassword(password string) {
	s.dummyOnce.Do(func() {
		s.dummy, _ = argon2id.CreateHash("jishi-no-such-account", s.params())
	})
	verifyPassword(password, s.dummy)
}
