package netns

import "testing"

func TestSHA512Crypt(t *testing.T) {
	for _, tc := range []struct{ password, salt, want string }{
		// The example of Drepper's specification of SHA-crypt.
		{"Hello world!", "saltstring", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
		// From `openssl passwd -6 -salt tuyau.lab/Salt12 lab-secret`.
		{"lab-secret", "tuyau.lab/Salt12", "$6$tuyau.lab/Salt12$iXQLW4uJN6b7jB3p16pMEozRWW5RDHPv63vDgcy4Ktjlt523Zr6xCcX39el2wZhPs9GRuftPSGremCn8uwkMV1"},
	} {
		if got := sha512Crypt(tc.password, tc.salt); got != tc.want {
			t.Errorf("sha512Crypt(%q, %q) = %s, want %s", tc.password, tc.salt, got, tc.want)
		}
	}
}
