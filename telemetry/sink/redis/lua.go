package redis

import goredis "github.com/redis/go-redis/v9"

// fencedWrite runs one group of commands if the writer's fencing token is
// not stale, and at most once per event sequence number.
//
//	KEYS[1]  fence key of the target (its newest token), KEYS[2] the
//	         writer's applied-sequence key, KEYS[3..] the commands' keys
//	ARGV[1]  token ("" = unfenced), ARGV[2] sequence ("" = none), ARGV[3]
//	         retention of the applied key (s), ARGV[4] the lowest sequence
//	         the writer still holds, then the commands, each one of:
//	         - name, number of keys, number of args, args...: run as it is;
//	         - "~H", member, values: HSET of the next key with the
//	           field/value pairs of values, adding member to the set of
//	           the key after it when the HSET created a field (a new hash:
//	           its index);
//	         - "~HT", number of fields, fields..., number of constant
//	           fields, their field/value pairs..., values: "~H" for
//	           several hashes with the same fields, the constant ones (the
//	           same value in every hash: writer, token) last; values holds
//	           per entry its member then one value per field; the index is
//	           the next key, then one key per entry;
//	         - "~XT", maxlen, number of fields, fields..., values: XADD
//	           MAXLEN ~ maxlen to the next key, one key per entry of values,
//	           each entry the values of its first fields.
//	         values is one argument, a MessagePack array (cmsgpack): of
//	         strings for "~H", of arrays of strings (the entries) for the
//	         templates.
//
// The templates name the fields of a history entry or a state hash once
// for a device's or a link chunk's worth of them: a third of the
// arguments per sample the generic form takes, fewer to encode, send
// and parse (BenchmarkSinkRedis); their values go packed in one
// argument, as MessagePack, which Redis's cmsgpack reads in C: go-redis
// writes each argument with its own framing, and one per value was most
// of the collector's cost of writing them.
//
// Returns {1, n} (applied n commands), {0, newest} (refused: stale token),
// {2, last} (this sequence was already applied: a replay) or {3, last} (an
// earlier sequence the writer still holds is not applied yet: retry in
// order). Sequences make an event write apply once and in order even when
// a flush is replayed after a lost reply or a failover; the sequence is
// recorded before the fence check, so a refused write leaves no gap.
//
// A token above the stored one is accepted and stored: the fence key was
// lost (a failover before it replicated) and the holder's token is the
// newest known. Tokens stay below 2^53, exact in Lua numbers.
var fencedWrite = goredis.NewScript(`
if ARGV[2] ~= '' then
  local seq = tonumber(ARGV[2])
  local last = redis.call('GET', KEYS[2])
  if last then
    last = tonumber(last)
    if seq <= last then
      -- A write, so that a WAIT after it confirms this server's copy.
      redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
      return {2, last}
    end
    if seq > last + 1 and last + 1 >= tonumber(ARGV[4]) then return {3, last} end
  end
  redis.call('SET', KEYS[2], ARGV[2], 'EX', tonumber(ARGV[3]))
end
local tok = ARGV[1]
if tok ~= '' then
  local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
  local t = tonumber(tok)
  if t < cur then return {0, cur} end
  if t > cur then redis.call('SET', KEYS[1], tok) end
end
local ki, ai, n = 3, 5, 0
while ai <= #ARGV do
  local cmd = ARGV[ai]
  if cmd == '~H' then
    if redis.call('HSET', KEYS[ki], unpack(cmsgpack.unpack(ARGV[ai+2]))) > 0 then
      redis.call('SADD', KEYS[ki+1], ARGV[ai+1])
    end
    ki, ai, n = ki + 2, ai + 3, n + 1
  elseif cmd == '~HT' then
    local nf = tonumber(ARGV[ai+1])
    local f0 = ai + 2
    local nc = tonumber(ARGV[f0+nf])
    local c0 = f0 + nf + 1
    local es = cmsgpack.unpack(ARGV[c0+2*nc])
    local idx = KEYS[ki]
    ki, ai = ki + 1, c0 + 2*nc + 1
    local t = {}
    for i = 1, nf do t[2*i-1] = ARGV[f0+i-1] end
    for i = 1, 2*nc do t[2*nf+i] = ARGV[c0+i-1] end
    for e = 1, #es do
      local en = es[e]
      for i = 1, nf do t[2*i] = en[i+1] end
      if redis.call('HSET', KEYS[ki], unpack(t, 1, 2*(nf+nc))) > 0 then
        redis.call('SADD', idx, en[1])
      end
      ki = ki + 1
    end
    n = n + #es
  elseif cmd == '~XT' then
    local maxlen, nf = ARGV[ai+1], tonumber(ARGV[ai+2])
    local f0 = ai + 3
    local es = cmsgpack.unpack(ARGV[f0+nf])
    ai = f0 + nf + 1
    local t = {'MAXLEN', '~', maxlen, '*'}
    for i = 1, nf do t[3+2*i] = ARGV[f0+i-1] end
    for e = 1, #es do
      local en = es[e]
      local nv = #en
      for i = 1, nv do t[4+2*i] = en[i] end
      redis.call('XADD', KEYS[ki], unpack(t, 1, 4+2*nv))
      ki = ki + 1
    end
    n = n + #es
  else
    local nk = tonumber(ARGV[ai+1])
    local na = tonumber(ARGV[ai+2])
    ai = ai + 3
    local args = {}
    for i = 1, nk do args[#args+1] = KEYS[ki]; ki = ki + 1 end
    for i = 1, na do args[#args+1] = ARGV[ai]; ai = ai + 1 end
    redis.call(cmd, unpack(args))
    n = n + 1
  end
end
return {1, n}
`)

// The names of fencedWrite's compact commands.
const (
	cmdHash           = "~H"
	cmdHashTemplate   = "~HT"
	cmdStreamTemplate = "~XT"
)

// ackScript records an acknowledgement on an existing alarm, logs it in
// the ack stream and publishes it.
//
//	KEYS: alarm hash, ack stream, ack channel
//	ARGV: by, at (RFC 3339), raised (the occurrence acked), ack JSON, MINID
var ackScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'acked_by', ARGV[1], 'acked_at', ARGV[2], 'acked_raised', ARGV[3])
redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[5], '*', 'ack', ARGV[4])
redis.call('PUBLISH', KEYS[3], ARGV[4])
return 1
`)

// acquireScript takes a free lease (SET NX PX) and gives it a fencing
// token from the target's counter (INCR): tokens only grow, so a write
// carrying an older one is known stale. A lease taken back by the same
// process (its instance) with nobody else having taken it since keeps its
// token: what that process buffered while Redis was unreachable is not
// stale, and is accepted when replayed.
//
//	KEYS: lease, fence, fence holder; ARGV: holder, ttl (ms), instance.
//	Returns the token or 0.
var acquireScript = goredis.NewScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local t = redis.call('GET', KEYS[2])
if t and redis.call('GET', KEYS[3]) == ARGV[3] then
  t = tonumber(t)
else
  t = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[3], ARGV[3])
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. t, 'PX', ARGV[2])
return t
`)

// renewScript extends a lease if it is still ours (compare and set).
//
//	KEYS: lease; ARGV: "holder token", ttl (ms). Returns 1 or 0.
var renewScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// releaseScript gives a lease back if it is still ours.
var releaseScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// heartbeatScript registers a collector until now+ttl by the server's
// clock (collectors' clocks never compared), forgets expired ones, and
// returns the live ones.
//
//	KEYS: collectors zset; ARGV: id, ttl (ms), "" or "leave".
var heartbeatScript = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[3] == 'leave' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`)
