package redis

// keyCache holds the keys written at every sample, built once rather
// than concatenated per sample: the fence of each lease, a device's
// interfaces hash and interface histories, a link's hash and history.
// Bounded: past maxCachedKeys entries it starts again (an inventory
// naming new objects forever costs concatenations, not memory).
// Guarded by Sink.encMu.
type keyCache struct {
	k      Keys
	fences map[string]string
	devs   map[string]string
	hist   map[[2]string]string
	links  map[string][2]string
}

const maxCachedKeys = 1 << 18

func (c *keyCache) fence(target string) string {
	if v, ok := c.fences[target]; ok {
		return v
	}
	if c.fences == nil || len(c.fences) >= maxCachedKeys {
		c.fences = map[string]string{}
	}
	v := c.k.Fence(target)
	c.fences[target] = v
	return v
}

func (c *keyCache) ifaces(dev string) string {
	if v, ok := c.devs[dev]; ok {
		return v
	}
	if c.devs == nil || len(c.devs) >= maxCachedKeys {
		c.devs = map[string]string{}
	}
	v := c.k.Interfaces(dev)
	c.devs[dev] = v
	return v
}

func (c *keyCache) ifaceHistory(dev, ifc string) string {
	if v, ok := c.hist[[2]string{dev, ifc}]; ok {
		return v
	}
	if c.hist == nil || len(c.hist) >= maxCachedKeys {
		c.hist = map[[2]string]string{}
	}
	v := c.k.IfaceHistory(dev, ifc)
	c.hist[[2]string{dev, ifc}] = v
	return v
}

func (c *keyCache) linkKeys(id string) [2]string {
	if v, ok := c.links[id]; ok {
		return v
	}
	if c.links == nil || len(c.links) >= maxCachedKeys {
		c.links = map[string][2]string{}
	}
	v := [2]string{c.k.Link(id), c.k.LinkHistory(id)}
	c.links[id] = v
	return v
}

func (c *keyCache) link(id string) string        { return c.linkKeys(id)[0] }
func (c *keyCache) linkHistory(id string) string { return c.linkKeys(id)[1] }
