-- stock_set.lua: set the available stock of a SKU (admin).
--
-- KEYS[1] stock of the SKU (hash: available, reserved, sold)
-- ARGV[1] available: an integer in [0, 2^53]
--
-- Returns {available, reserved, sold} after the change. Reserved and sold are kept: they belong
-- to orders in flight or done, so I1 holds against the new total (available + reserved + sold).

-- Digits only: the stored text must stay a plain integer that HINCRBY accepts later.
local available = string.match(ARGV[1], "^%d+$") and tonumber(ARGV[1])
assert(available and available <= 9007199254740992,
       "stock_set: available must be an integer in [0, 2^53]")
redis.call("HSET", KEYS[1], "available", ARGV[1])
local r = redis.call("HMGET", KEYS[1], "available", "reserved", "sold")
return {tonumber(r[1]) or 0, tonumber(r[2]) or 0, tonumber(r[3]) or 0}
