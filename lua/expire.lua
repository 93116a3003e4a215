-- expire.lua: release a bounded batch of reservations whose deadline has passed.
--
-- The sweeper reads the due order ids (ZRANGEBYSCORE on the deadlines set, with a LIMIT) and
-- their SKUs first, then passes every key here, so that the script declares all it touches.
--
-- KEYS[1]   deadlines (sorted set: order id -> deadline_ms)
-- KEYS[2]   unannounced expiries (sorted set: order id -> now_ms): the sweeper's outbox. An
--           expiry is not triggered by a Kafka message, so nothing would replay it if the
--           process died before StockReleased was acknowledged; the sweeper removes an entry
--           only after that acknowledgement and re-announces what is left on every pass.
-- then, for each reservation in ARGV order: its record, followed by the stock key of each SKU
-- ARGV[1]   now_ms
-- ARGV[2]   retention_ms: how long a closed record is kept
-- ARGV[3]   number of reservations in the batch
-- then, for each reservation: order id, number of SKUs n, sku_1 .. sku_n
--
-- Returns a flat list of pairs, one per reservation, in ARGV order:
--   order_id, "EXPIRED"   released now as RESERVATION_EXPIRED
--   order_id, "NOT_DUE"   deadline still ahead (e.g. the clock moved, or a race with reserve)
--   order_id, "CLOSED"    already committed, released or rejected: its stale deadline is removed
--   order_id, "NOT_FOUND" no record: its stale deadline entry is removed

local now_ms = tonumber(ARGV[1])
local retention_ms = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
assert(now_ms and retention_ms and retention_ms >= 1 and count and count <= 1000,
       "expire: bad now_ms, retention_ms or batch size")

local out = {}
local key, arg = 3, 4
for _ = 1, count do
  local order_id, n = ARGV[arg], tonumber(ARGV[arg + 1])
  local record = KEYS[key]
  local r = redis.call("HMGET", record, "state", "skus", "quantities", "deadline_ms")
  local status
  if not r[1] then
    status = "NOT_FOUND"
  elseif r[1] ~= "RESERVED" then
    status = "CLOSED"
  elseif now_ms < tonumber(r[4]) then
    status = "NOT_DUE"
  else
    assert(r[2] == table.concat({unpack(ARGV, arg + 2, arg + 1 + n)}, ","),
           "expire: keys do not match the reservation of " .. order_id)
    local i = 0
    for quantity in string.gmatch(r[3], "[^,]+") do
      i = i + 1
      redis.call("HINCRBY", KEYS[key + i], "reserved", -tonumber(quantity))
      redis.call("HINCRBY", KEYS[key + i], "available", tonumber(quantity))
    end
    redis.call("HSET", record, "state", "RELEASED", "release_reason", "RESERVATION_EXPIRED",
               "closed_at_ms", now_ms)
    redis.call("PEXPIRE", record, retention_ms)
    redis.call("ZADD", KEYS[2], now_ms, order_id)
    status = "EXPIRED"
  end
  if status ~= "NOT_DUE" then redis.call("ZREM", KEYS[1], order_id) end
  out[#out + 1] = order_id
  out[#out + 1] = status
  key = key + 1 + n
  arg = arg + 2 + n
end
return out
