//! The Lua scripts that make each change atomic.
//!
//! Every script takes the same four keys, in this order: the jobs hash, the
//! run-times sorted set, the leases hash and the unrestorable hash. A lease
//! is stored as `owner|expiry`, the expiry in microseconds since the Unix
//! epoch; the owner is what precedes the last `|`, so an owner may itself
//! contain `|`.
//!
//! Numbers are formatted with `%d`: Lua 5.1 prints large numbers such as
//! microsecond timestamps in exponent notation otherwise.

/// Adds or replaces a job.
///
/// ARGV: id, JSON, score (`""` when paused), replace (`"1"` or `"0"`).
/// Returns 1, or 0 when the id is taken and replace is `"0"`. A replaced
/// job loses its lease and its unrestorable mark.
pub(crate) const ADD: &str = r"
if ARGV[4] ~= '1' and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return 1
";

/// Replaces an existing job, keeping its lease.
///
/// ARGV: id, JSON, score (`""` when paused). Returns 1, or 0 when no such
/// job exists.
pub(crate) const UPDATE: &str = r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
redis.call('HDEL', KEYS[4], ARGV[1])
return 1
";

/// Removes a job with its index entry, lease and mark.
///
/// ARGV: id. Returns 1, or 0 when no such job exists.
pub(crate) const REMOVE: &str = r"
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return 1
";

/// The earliest time the scheduler must look at the store again: the
/// earliest score of a job that is neither claimed nor unrestorable, or for
/// a claimed job the later of its score and its lease's expiry (it comes
/// back when released, or when the lease expires if its owner died).
///
/// No ARGV. Returns microseconds, or nil when no job is scheduled.
pub(crate) const NEXT_RUN_TIME: &str = r"
local best = nil
local offset = 0
local page_size = 200
while true do
  local page = redis.call('ZRANGE', KEYS[2], offset, offset + page_size - 1, 'WITHSCORES')
  if #page == 0 then
    break
  end
  for i = 1, #page, 2 do
    local id = page[i]
    local score = tonumber(page[i + 1])
    if best and score >= best then
      return string.format('%d', best)
    end
    if redis.call('HEXISTS', KEYS[4], id) == 0 and redis.call('HEXISTS', KEYS[1], id) == 1 then
      local lease = redis.call('HGET', KEYS[3], id)
      local expiry = lease and tonumber(string.match(lease, '|(%-?%d+)$'))
      if expiry then
        local candidate = math.max(score, expiry)
        if not best or candidate < best then
          best = candidate
        end
      else
        return string.format('%d', score)
      end
    end
  end
  if #page < page_size * 2 then
    break
  end
  offset = offset + page_size
end
if best then
  return string.format('%d', best)
end
return false
";

/// Claims due jobs for one owner.
///
/// ARGV: now (microseconds, the caller's: what is due), limit, owner, lease
/// (microseconds), lease clock now (`""` to read the server's clock with
/// `TIME`, else the caller's now in microseconds). Returns a flat array of
/// id, JSON pairs, earliest first. Index entries whose job is gone are
/// dropped.
pub(crate) const ACQUIRE: &str = r"
local lease_now
if ARGV[5] == '' then
  -- Redis before 5 replicates scripts verbatim unless told to replicate
  -- their effects, and refuses writes after TIME otherwise; later ones
  -- always replicate effects.
  if redis.replicate_commands then
    redis.replicate_commands()
  end
  local time = redis.call('TIME')
  lease_now = tonumber(time[1]) * 1000000 + tonumber(time[2])
else
  lease_now = tonumber(ARGV[5])
end
local limit = tonumber(ARGV[2])
local lease = ARGV[3] .. '|' .. string.format('%d', lease_now + tonumber(ARGV[4]))
local claimed = {}
local count = 0
local dangling = {}
local offset = 0
local page_size = math.min(math.max(limit, 100), 1000)
while count < limit do
  local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', offset, page_size)
  for _, id in ipairs(ids) do
    if count >= limit then
      break
    end
    if redis.call('HEXISTS', KEYS[4], id) == 0 then
      local held = redis.call('HGET', KEYS[3], id)
      local expiry = held and tonumber(string.match(held, '|(%-?%d+)$'))
      if not expiry or expiry <= lease_now then
        local json = redis.call('HGET', KEYS[1], id)
        if json then
          redis.call('HSET', KEYS[3], id, lease)
          claimed[#claimed + 1] = id
          claimed[#claimed + 1] = json
          count = count + 1
        else
          dangling[#dangling + 1] = id
        end
      end
    end
  end
  if #ids < page_size then
    break
  end
  offset = offset + page_size
end
for _, id in ipairs(dangling) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
end
return claimed
";

/// Hands a claimed job back.
///
/// ARGV: id, owner, mode (`drop`, `reschedule` or `remove`), the JSON the
/// owner expects to find, the new JSON, the new score. Returns
/// `{status, current}`: status 0 when the owner holds no lease on the job
/// or the job is gone (nothing changed but a stale lease dropped), 1 when
/// done, 2 when the stored JSON differs from the expected one (nothing
/// changed; current is the stored JSON, for the owner to decide again).
pub(crate) const RELEASE: &str = r"
local held = redis.call('HGET', KEYS[3], ARGV[1])
if not held or string.match(held, '^(.*)|%-?%d+$') ~= ARGV[2] then
  return {0, ''}
end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then
  redis.call('HDEL', KEYS[3], ARGV[1])
  return {0, ''}
end
if ARGV[3] == 'drop' then
  redis.call('HDEL', KEYS[3], ARGV[1])
  return {1, ''}
end
if current ~= ARGV[4] then
  return {2, current}
end
if ARGV[3] == 'remove' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[4], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[5])
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
end
redis.call('HDEL', KEYS[3], ARGV[1])
return {1, ''}
";

/// Marks a job whose JSON cannot be read, unless it changed meanwhile, and
/// drops the lease `owner` holds on it.
///
/// ARGV: id, the unreadable JSON, the reason, owner (`""` for none).
/// Returns 1 when marked, 0 when the job changed or is gone.
pub(crate) const MARK_UNRESTORABLE: &str = r"
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[4], ARGV[1], ARGV[3])
if ARGV[4] ~= '' then
  local held = redis.call('HGET', KEYS[3], ARGV[1])
  if held and string.match(held, '^(.*)|%-?%d+$') == ARGV[4] then
    redis.call('HDEL', KEYS[3], ARGV[1])
  end
end
return 1
";
