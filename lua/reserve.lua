-- reserve.lua: reserve every line of an order, or none of them.
--
-- KEYS[1]   reservation record of the order (hash)
-- KEYS[2]   deadlines (sorted set: order id -> deadline_ms), read by the expiry sweeper
-- KEYS[3..] stock of each line's SKU (hash: available, reserved, sold), in line order
-- ARGV[1]   order id
-- ARGV[2]   now_ms
-- ARGV[3]   deadline_ms (now_ms + reservation TTL)
-- ARGV[4]   retention_ms: how long a closed record is kept (must outlive the replay horizon)
-- ARGV[5]   traceparent of the OrderPlaced ("" when none): stored with the record, so that the
--           expiry sweeper's StockReleased, which no message causes, continues the order's trace
-- ARGV[6..] for each line: sku, quantity (two entries per line; SKUs are distinct and contain
--           no ',', as the record lists them comma-separated)
-- Every number is a plain decimal integer in [0, 2^53]: digits only, no sign, exponent or
-- leading zero (quantities are stored as given, so the record never holds a rounded number).
--
-- Returns the outcome stored in the record, so that a replayed OrderPlaced gets the very same
-- answer instead of reserving twice:
--   {"RESERVED", deadline_ms, reserved_at_ms, state}
--   {"REJECTED", line_index (1-based), requested, available, state}
-- state is the record's state now: RESERVED, COMMITTED, RELEASED or REJECTED.
-- Errors (a script error reply, nothing changed): malformed arguments, a repeated SKU or stock key.

local record = KEYS[1]
local lines = #KEYS - 2
assert(lines >= 1 and #ARGV == 5 + 2 * lines, "reserve: need one sku and quantity per stock key")
local traceparent = ARGV[5]

-- Checked on the text: tonumber() would accept "1e3" or " 7", and rounds 2^53 + 1 down to 2^53.
local function int_arg(value, name)
  assert(value and (value == "0" or string.match(value, "^[1-9]%d*$")) and
         (#value < 16 or (#value == 16 and value <= "9007199254740992")), "reserve: bad " .. name)
  return tonumber(value)
end

local function reply_from_record()
  local r = redis.call("HMGET", record, "outcome", "deadline_ms", "reserved_at_ms", "state",
                       "reject_index", "reject_requested", "reject_available")
  if r[1] == "RESERVED" then
    return {"RESERVED", tonumber(r[2]), tonumber(r[3]), r[4]}
  end
  return {"REJECTED", tonumber(r[5]), tonumber(r[6]), tonumber(r[7]), r[4]}
end

if redis.call("EXISTS", record) == 1 then
  return reply_from_record()
end

local now_ms = int_arg(ARGV[2], "now_ms")
local deadline_ms = int_arg(ARGV[3], "deadline_ms")
local retention_ms = int_arg(ARGV[4], "retention_ms")
assert(retention_ms >= 1 and deadline_ms >= now_ms, "reserve: bad retention_ms or deadline_ms")
-- quantity_texts keep the argument texts for the record: Lua prints a number of 15 or more
-- digits as %.14g, which would store a rounded quantity.
local skus, quantities, quantity_texts, seen_skus, seen_keys = {}, {}, {}, {}, {}
for i = 1, lines do
  skus[i] = ARGV[4 + 2 * i]
  quantity_texts[i] = ARGV[5 + 2 * i]
  quantities[i] = int_arg(quantity_texts[i], "quantity")
  assert(quantities[i] >= 1, "reserve: quantity must be at least 1")
  assert(string.match(skus[i], "^[^,]+$"), "reserve: bad sku")
  -- A repeated SKU would pass the check below once per line and oversell.
  assert(not seen_skus[skus[i]] and not seen_keys[KEYS[2 + i]], "reserve: SKUs must be distinct")
  seen_skus[skus[i]], seen_keys[KEYS[2 + i]] = true, true
end

-- All or nothing: check every line before touching any stock.
for i = 1, lines do
  local available = tonumber(redis.call("HGET", KEYS[2 + i], "available")) or 0
  if available < quantities[i] then
    redis.call("HSET", record, "outcome", "REJECTED", "state", "REJECTED",
               "reject_index", i, "reject_requested", quantities[i],
               "reject_available", available, "closed_at_ms", now_ms,
               "traceparent", traceparent)
    redis.call("PEXPIRE", record, retention_ms)
    return reply_from_record()
  end
end

for i = 1, lines do
  redis.call("HINCRBY", KEYS[2 + i], "available", -quantities[i])
  redis.call("HINCRBY", KEYS[2 + i], "reserved", quantities[i])
end
redis.call("HSET", record, "outcome", "RESERVED", "state", "RESERVED",
           "skus", table.concat(skus, ","), "quantities", table.concat(quantity_texts, ","),
           "deadline_ms", deadline_ms, "reserved_at_ms", now_ms, "traceparent", traceparent)
-- An open reservation is closed by commit, release or expiry; the TTL is only a safety net
-- for a record whose deadline entry was lost, and it outlives the deadline by the retention.
redis.call("PEXPIRE", record, deadline_ms - now_ms + retention_ms)
redis.call("ZADD", KEYS[2], deadline_ms, ARGV[1])
return reply_from_record()
