-- release.lua: give an order's reserved stock back (payment declined or customer cancelled).
-- Expiry has its own batch script, expire.lua.
--
-- KEYS[1]   reservation record of the order (hash)
-- KEYS[2]   deadlines (sorted set)
-- KEYS[3..] stock of each reserved SKU, in the order the record lists them
-- ARGV[1]   order id
-- ARGV[2]   now_ms
-- ARGV[3]   retention_ms: how long the closed record is kept
-- ARGV[4]   reason: PAYMENT_DECLINED or CUSTOMER_REQUEST
-- ARGV[5..] the reserved SKUs, in the same order as KEYS[3..] (checked against the record)
--
-- Returns:
--   {"RELEASED", reason, 1}   released now, with this call's reason
--   {"RELEASED", reason, 0}   already released earlier, with the reason given then (a replay)
--   {"COMMITTED"}             already sold: nothing to release (cancel after confirm)
--   {"REJECTED"}              never reserved
--   {"NOT_FOUND"}             no record

local record = KEYS[1]
local now_ms = tonumber(ARGV[2])
local retention_ms = tonumber(ARGV[3])
local reason = ARGV[4]
assert(now_ms and retention_ms and retention_ms >= 1, "release: bad now_ms or retention_ms")
assert(reason == "PAYMENT_DECLINED" or reason == "CUSTOMER_REQUEST", "release: bad reason")

local r = redis.call("HMGET", record, "state", "skus", "quantities", "deadline_ms", "release_reason")
local state = r[1]
if not state then
  redis.call("ZREM", KEYS[2], ARGV[1])
  return {"NOT_FOUND"}
end
if state ~= "RESERVED" then
  redis.call("ZREM", KEYS[2], ARGV[1])  -- a stale deadline entry must not be swept forever
  if state == "RELEASED" then return {"RELEASED", r[5], 0} end
  return {state}
end

local skus = {}
for sku in string.gmatch(r[2], "[^,]+") do skus[#skus + 1] = sku end
assert(#skus == #KEYS - 2 and #skus == #ARGV - 4, "release: keys do not match the reservation")
for i = 1, #skus do assert(skus[i] == ARGV[4 + i], "release: keys do not match the reservation") end

local i = 0
for quantity in string.gmatch(r[3], "[^,]+") do
  i = i + 1
  redis.call("HINCRBY", KEYS[2 + i], "reserved", -tonumber(quantity))
  redis.call("HINCRBY", KEYS[2 + i], "available", tonumber(quantity))
end
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("HSET", record, "state", "RELEASED", "release_reason", reason, "closed_at_ms", now_ms)
redis.call("PEXPIRE", record, retention_ms)
return {"RELEASED", reason, 1}
