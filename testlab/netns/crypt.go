package netns

import (
	"crypto/rand"
	"crypto/sha512"
	"strings"
)

// cryptAlphabet is crypt(3)'s base64 alphabet.
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// sha512Crypt hashes a password as crypt(3)'s "$6$" scheme (Drepper's
// SHA-crypt, 5000 rounds), which sshd checks against the namespace's
// /etc/shadow. It lives here so the lab needs no openssl or mkpasswd.
func sha512Crypt(password, salt string) string {
	pw, s := []byte(password), []byte(salt)
	if len(s) > 16 {
		s = s[:16]
	}
	sum := func(parts ...[]byte) []byte {
		h := sha512.New()
		for _, p := range parts {
			h.Write(p)
		}
		return h.Sum(nil)
	}
	// repeat returns n bytes of b repeated.
	repeat := func(b []byte, n int) []byte {
		out := make([]byte, 0, n)
		for len(out) < n {
			out = append(out, b[:min(len(b), n-len(out))]...)
		}
		return out
	}
	b := sum(pw, s, pw)
	h := sha512.New()
	h.Write(pw)
	h.Write(s)
	h.Write(repeat(b, len(pw)))
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 == 1 {
			h.Write(b)
		} else {
			h.Write(pw)
		}
	}
	a := h.Sum(nil)
	p := repeat(sum(repeat(pw, len(pw)*len(pw))), len(pw))
	ds := sha512.New()
	for range 16 + int(a[0]) {
		ds.Write(s)
	}
	sb := repeat(ds.Sum(nil), len(s))
	for r := range 5000 {
		c := sha512.New()
		if r&1 == 1 {
			c.Write(p)
		} else {
			c.Write(a)
		}
		if r%3 != 0 {
			c.Write(sb)
		}
		if r%7 != 0 {
			c.Write(p)
		}
		if r&1 == 1 {
			c.Write(a)
		} else {
			c.Write(p)
		}
		a = c.Sum(nil)
	}
	var out strings.Builder
	out.WriteString("$6$" + string(s) + "$")
	enc := func(b2, b1, b0 byte, n int) {
		w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
		for range n {
			out.WriteByte(cryptAlphabet[w&0x3f])
			w >>= 6
		}
	}
	// The digest's bytes go out in the scheme's fixed order: triples
	// (i, i+21, i+42) rotated by i mod 3, then the last byte alone.
	for i := range 21 {
		x, y, z := a[i], a[i+21], a[i+42]
		switch i % 3 {
		case 0:
			enc(x, y, z, 4)
		case 1:
			enc(y, z, x, 4)
		case 2:
			enc(z, x, y, 4)
		}
	}
	enc(0, 0, a[63], 2)
	return out.String()
}

// cryptSalt returns 16 random characters of the crypt alphabet.
func cryptSalt() string {
	var b [16]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = cryptAlphabet[int(b[i])%len(cryptAlphabet)]
	}
	return string(b[:])
}
