-- stock_get.lua: read a SKU's three numbers in one atomic step, so I1 can be checked at any
-- instant.
--
-- KEYS[1] stock of the SKU (hash: available, reserved, sold)
--
-- Returns {available, reserved, sold}; a SKU never set reads as {0, 0, 0}.

local r = redis.call("HMGET", KEYS[1], "available", "reserved", "sold")
return {tonumber(r[1]) or 0, tonumber(r[2]) or 0, tonumber(r[3]) or 0}
