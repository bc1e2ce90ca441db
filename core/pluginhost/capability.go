package pluginhost

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// Capability is what a capability token grants: callbacks by one plugin,
// for one tenant (and, when ShopID is set, one shop), within the scopes the
// plugin's manifest declared, until Expires.
type Capability struct {
	Plugin   string   `json:"p"`
	TenantID string   `json:"t"`
	RegionID string   `json:"r,omitempty"`
	ShopID   string   `json:"s,omitempty"`
	Scopes   []string `json:"sc"`
	Expires  int64    `json:"e"` // Unix seconds
	// Call names the call the capability was issued for (hook and request
	// id), for the host's logs.
	Call string `json:"c,omitempty"`
}

// Has reports whether scope is granted.
func (c *Capability) Has(scope string) bool { return slices.Contains(c.Scopes, scope) }

// Errors of Verify.
var (
	ErrCapabilityForged  = errors.New("capability: malformed or not signed by this host")
	ErrCapabilityExpired = errors.New("capability: expired")
	ErrCapabilityForeign = errors.New("capability: issued to another plugin")
)

// Signer issues and checks capability tokens: base64url(JSON) "."
// base64url(HMAC-SHA256). Its key lives only in this process: each server
// instance runs its own plugin processes, whose callbacks come back to it.
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner returns a signer with a fresh random key.
func NewSigner() *Signer {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return &Signer{key: k, now: time.Now}
}

// Issue returns the token for c.
func (s *Signer) Issue(c Capability) string {
	body, _ := json.Marshal(c)
	b := base64.RawURLEncoding.EncodeToString(body)
	return b + "." + base64.RawURLEncoding.EncodeToString(s.mac(b))
}

func (s *Signer) mac(b string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(b))
	return m.Sum(nil)
}

// Verify checks token and that it was issued to plugin, and returns what it
// grants.
func (s *Signer) Verify(token, plugin string) (*Capability, error) {
	b, sig, ok := strings.Cut(token, ".")
	if !ok {
		return nil, ErrCapabilityForged
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(b)) {
		return nil, ErrCapabilityForged
	}
	body, err := base64.RawURLEncoding.DecodeString(b)
	if err != nil {
		return nil, ErrCapabilityForged
	}
	var c Capability
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, ErrCapabilityForged
	}
	if c.Plugin != plugin {
		return nil, ErrCapabilityForeign
	}
	if s.now().Unix() >= c.Expires {
		return nil, ErrCapabilityExpired
	}
	return &c, nil
}
