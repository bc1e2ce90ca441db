package groupbuy

import (
	"crypto/rand"

	"github.com/google/uuid"
)

// newID returns a new random id for the plugin's own rows.
func newID() string { return uuid.NewString() }

// couponAlphabet leaves out letters and digits people confuse (0/O, 1/I).
const couponAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// couponCode returns a new rebate coupon code: "GB" and ten characters.
func couponCode() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	out := make([]byte, 0, 12)
	out = append(out, 'G', 'B')
	for _, c := range b {
		out = append(out, couponAlphabet[int(c)%len(couponAlphabet)])
	}
	return string(out)
}
