-- stock_set.lua: set the available stock of a SKU (admin).
--
-- KEYS[1] stock of the SKU (hash: available, reserved, sold)
-- ARGV[1] available: an integer in [0, 2^53] in plain decimal (digits only, no leading zero)
--
-- Returns {available, reserved, sold} after the change. Reserved and sold are kept: they belong
-- to orders in flight or done, so I1 holds against the new total (available + reserved + sold).

-- Checked on the text, which is stored as is: it must stay an integer that HINCRBY accepts later
-- (HINCRBY refuses "007", and reserve would then fail halfway through its writes), and
-- tonumber() would round 2^53 + 1 down to 2^53.
local text = ARGV[1]
assert(text and (text == "0" or string.match(text, "^[1-9]%d*$")) and
       (#text < 16 or (#text == 16 and text <= "9007199254740992")),
       "stock_set: available must be an integer in [0, 2^53]")
redis.call("HSET", KEYS[1], "available", text)
local r = redis.call("HMGET", KEYS[1], "available", "reserved", "sold")
return {tonumber(r[1]) or 0, tonumber(r[2]) or 0, tonumber(r[3]) or 0}
