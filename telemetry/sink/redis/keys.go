package redis

import "strings"

// Keys is the documented key layout of one network in Redis
// (docs/telemetry.md, "Redis keys"). Every key starts with tuyau:{net}:
// where net names the network: the braces make it a Redis Cluster hash
// tag, so one network's keys share a slot and the Lua scripts that touch
// several of them stay valid on a cluster.
type Keys struct{ p string }

// NewKeys is the layout for network net ("" is "default").
func NewKeys(net string) Keys {
	if net == "" {
		net = "default"
	}
	return Keys{p: "tuyau:{" + net + "}:"}
}

// Prefix is tuyau:{net}:.
func (k Keys) Prefix() string { return k.p }

// Latest state (hashes; field "json" is the object's JSON, the other fields
// flat copies for scripts and redis-cli).
func (k Keys) Link(id string) string        { return k.p + "link:" + id }
func (k Keys) Target(name string) string    { return k.p + "target:" + name }
func (k Keys) Interfaces(dev string) string { return k.p + "ifaces:" + dev } // field: interface name, value: JSON
func (k Keys) Alarm(id string) string       { return k.p + "alarm:" + id }
func (k Keys) LinkIndex() string            { return k.p + "links" }   // set of link ids
func (k Keys) TargetIndex() string          { return k.p + "targets" } // set of target names
func (k Keys) DeviceIndex() string          { return k.p + "devices" } // set of devices with an ifaces hash
func (k Keys) AlarmIndex() string           { return k.p + "alarms" }  // zset: alarm id, score = updated (ms)
func (k Keys) ActiveAlarms() string         { return k.p + "alarms:active" }
func (k Keys) LinkHistory(id string) string { return k.p + "hist:link:" + id }
func (k Keys) IfaceHistory(dev, ifc string) string {
	return k.p + "hist:iface:" + dev + ":" + ifc
}
func (k Keys) Updates(target string) string { return k.p + "updates:" + target }

// Long-retention streams and channels.
func (k Keys) Changes() string    { return k.p + "changes" }  // stream of StateChange
func (k Keys) AlarmLog() string   { return k.p + "alarmlog" } // stream of every alarm write
func (k Keys) AckLog() string     { return k.p + "acklog" }   // stream of acknowledgements
func (k Keys) Events() string     { return k.p + "events" }   // pub/sub: changes and alarms
func (k Keys) AckChannel() string { return k.p + "acks" }     // pub/sub: acknowledgements

// Scale-out.
func (k Keys) Lease(target string) string   { return k.p + "lease:" + target }
func (k Keys) Fence(target string) string   { return k.p + "fence:" + target }   // INCR counter: the newest token
func (k Keys) FenceBy(target string) string { return k.p + "fenceby:" + target } // the process instance the newest token went to
func (k Keys) Collectors() string           { return k.p + "collectors" }        // zset: id, score = heartbeat expiry (ms)
func (k Keys) Applied(writer string) string { return k.p + "applied:" + writer } // last event sequence applied

// objectOf strips the prefix and kind from a key: Link(id) -> id.
func (k Keys) objectOf(key, kind string) string {
	return strings.TrimPrefix(key, k.p+kind+":")
}
