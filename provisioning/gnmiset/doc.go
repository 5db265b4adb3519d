// Package gnmiset is the gNMI transport of provisioning: running config
// by Get (CONFIG, JSON_IETF), changes by one atomic Set (deletes and
// replaces), post-check state by Get (STATE). TLS unless Insecure.
//
//	d := &gnmiset.Dialer{CAFile: "ca.pem", Username: "noc", Password: os.Getenv("TUYAU_GNMI_PASSWORD")}
//	plan, err := provisioning.MakePlan(ctx, x, reg, d, provisioning.PlanOptions{Transport: "gnmi"})
package gnmiset
