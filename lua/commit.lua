-- commit.lua: turn an order's reservation into a sale (payment was authorized).
--
-- KEYS[1]   reservation record of the order (hash)
-- KEYS[2]   deadlines (sorted set)
-- KEYS[3..] stock of each reserved SKU, in the order the record lists them
-- ARGV[1]   order id
-- ARGV[2]   now_ms
-- ARGV[3]   retention_ms: how long the closed record is kept
-- ARGV[4..] the reserved SKUs, in the same order as KEYS[3..] (checked against the record)
--
-- Returns:
--   {"COMMITTED", 1}        sold now
--   {"COMMITTED", 0}        already sold (a replay)
--   {"RELEASED", reason, n} not sold: the reservation was released with `reason`; n = 1 when
--                           this call released it because its deadline had passed, else 0
--   {"REJECTED"}            the order was never reserved
--   {"NOT_FOUND"}           no record (unknown order, or its record outlived retention)
-- A payment that arrives after the deadline never sells: the stock goes back instead, and the
-- released-then-refunded path follows.

local record = KEYS[1]
local now_ms = tonumber(ARGV[2])
local retention_ms = tonumber(ARGV[3])
assert(now_ms and retention_ms and retention_ms >= 1, "commit: bad now_ms or retention_ms")

local r = redis.call("HMGET", record, "state", "skus", "quantities", "deadline_ms", "release_reason")
local state = r[1]
if not state then return {"NOT_FOUND"} end
if state == "COMMITTED" then return {"COMMITTED", 0} end
if state == "RELEASED" then return {"RELEASED", r[5], 0} end
if state == "REJECTED" then return {"REJECTED"} end

local skus = {}
for sku in string.gmatch(r[2], "[^,]+") do skus[#skus + 1] = sku end
assert(#skus == #KEYS - 2 and #skus == #ARGV - 3, "commit: keys do not match the reservation")
for i = 1, #skus do assert(skus[i] == ARGV[3 + i], "commit: keys do not match the reservation") end

local expired = now_ms >= tonumber(r[4])
local i = 0
for quantity in string.gmatch(r[3], "[^,]+") do
  i = i + 1
  redis.call("HINCRBY", KEYS[2 + i], "reserved", -tonumber(quantity))
  redis.call("HINCRBY", KEYS[2 + i], expired and "available" or "sold", tonumber(quantity))
end
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("PEXPIRE", record, retention_ms)
if expired then
  redis.call("HSET", record, "state", "RELEASED", "release_reason", "RESERVATION_EXPIRED",
             "closed_at_ms", now_ms)
  return {"RELEASED", "RESERVATION_EXPIRED", 1}
end
redis.call("HSET", record, "state", "COMMITTED", "closed_at_ms", now_ms)
return {"COMMITTED", 1}
