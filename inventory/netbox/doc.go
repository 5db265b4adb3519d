// Package netbox is the NetBox 4.x backend of the inventory: it reads the
// whole network from NetBox's REST API (concurrent paging, retries, brief
// nested objects decoded as NetBox really sends them) and writes change
// sets back in dependency order, idempotently.
//
//	nb, err := netbox.New("https://netbox.example.org", netbox.WithToken(os.Getenv("NETBOX_TOKEN")))
//	snap, err := nb.Load(ctx)
//	cs, err := inventory.Diff(snap, want)
//	err = nb.Apply(ctx, cs)
package netbox
