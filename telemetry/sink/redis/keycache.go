package redis

// keyCache holds the keys written at every sample, built once rather
// than concatenated per sample: the fence of each lease, a device's
// interfaces hash (an interface's history stream and a link's keys live
// in their fieldCache entries: one look-up for all they need).
// Bounded: past maxCachedKeys entries it starts again (an inventory
// naming new objects forever costs concatenations, not memory).
// Guarded by Sink.encMu.
type keyCache struct {
	k      Keys
	fences map[string]string
	devs   map[string]string
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
