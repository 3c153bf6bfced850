//! The Lua scripts that make each change atomic.
//!
//! Every job script takes the same five keys, in this order: the jobs hash,
//! the run-times sorted set, the leases hash, the unrestorable hash and the
//! previous-fire-times hash. A lease is stored as `owner|expiry`, the expiry
//! in microseconds since the Unix epoch; the owner is what precedes the
//! last `|`, so an owner may itself contain `|`. A previous fire time is
//! stored as the RFC 3339 text Tempora writes (`2026-01-01T09:00:00Z`),
//! exact to the nanosecond, and compared as text.
//!
//! The scripts that can make a job due sooner (add, update, release) take
//! the channel of change notices among their arguments and `PUBLISH` on it
//! the job's new score when it is earlier than the old one, or the job had
//! none (it is new, or was paused).
//!
//! Logic that several scripts share is written once, as Lua functions
//! (`lease_now`, `announce`, `release`, `record_run`) put in front of the
//! scripts that call them.
//!
//! Numbers are formatted with `%d`: Lua 5.1 prints large numbers such as
//! microsecond timestamps in exponent notation otherwise.

/// Lua `lease_now(caller)`: the time that measures leases, in
/// microseconds: `caller` (the caller's now) unless it is `''`, else the
/// server's clock (`TIME`). Call it before any write.
macro_rules! lua_lease_now {
    () => {
        r"
local function lease_now(caller)
  if caller ~= '' then
    return tonumber(caller)
  end
  -- Redis before 5 replicates scripts verbatim unless told to replicate
  -- their effects, and refuses writes after TIME otherwise; later ones
  -- always replicate effects.
  if redis.replicate_commands then
    redis.replicate_commands()
  end
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000000 + tonumber(time[2])
end
"
    };
}

/// Lua `announce(channel, old, new)`: publishes score `new` on `channel`
/// when the job is scheduled (`new ~= ''`) and was not before (`old` is
/// false) or was later.
macro_rules! lua_announce {
    () => {
        r"
local function announce(channel, old, new)
  if new ~= '' and (not old or tonumber(new) < tonumber(old)) then
    redis.call('PUBLISH', channel, new)
  end
end
"
    };
}

/// Lua `release(id, owner, mode, expected, new_json, new_score, channel)`:
/// hands a claimed job back (needs `announce`). Mode `drop`, `reschedule`
/// or `remove`; `expected` is the JSON the owner expects to find. Returns
/// `{status, current}`: status 0 when the owner holds no lease on the job
/// or the job is gone (nothing changed but a stale lease dropped), 1 when
/// done, 2 when the stored JSON differs from the expected one (nothing
/// changed; current is the stored JSON, for the owner to decide again).
macro_rules! lua_release {
    () => {
        r"
local function release(id, owner, mode, expected, new_json, new_score, channel)
  local held = redis.call('HGET', KEYS[3], id)
  if not held or string.match(held, '^(.*)|%-?%d+$') ~= owner then
    return {0, ''}
  end
  local current = redis.call('HGET', KEYS[1], id)
  if not current then
    redis.call('HDEL', KEYS[3], id)
    return {0, ''}
  end
  if mode == 'drop' then
    redis.call('HDEL', KEYS[3], id)
    return {1, ''}
  end
  if current ~= expected then
    return {2, current}
  end
  if mode == 'remove' then
    redis.call('HDEL', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('HDEL', KEYS[4], id)
    redis.call('HDEL', KEYS[5], id)
  else
    local old = redis.call('ZSCORE', KEYS[2], id)
    redis.call('HSET', KEYS[1], id, new_json)
    redis.call('ZADD', KEYS[2], new_score, id)
    announce(channel, old, new_score)
  end
  redis.call('HDEL', KEYS[3], id)
  return {1, ''}
end
"
    };
}

/// Lua `record_run(runs, by_time, job_runs, running, jobs, key, json,
/// score, is_running, job_id)`: inserts or replaces one run record and its
/// index entries (see the history module for the keys).
macro_rules! lua_record_run {
    () => {
        r"
local function record_run(runs, by_time, job_runs, running, jobs, key, json, score, is_running, job_id)
  redis.call('HSET', runs, key, json)
  redis.call('ZADD', by_time, score, key)
  redis.call('ZADD', job_runs, score, key)
  if is_running == '1' then
    redis.call('SADD', running, key)
  else
    redis.call('SREM', running, key)
  end
  redis.call('SADD', jobs, job_id)
end
"
    };
}

/// Adds or replaces a job.
///
/// ARGV: id, JSON, score (`""` when paused), replace (`"1"` or `"0"`), the
/// channel of change notices. Returns 1, or 0 when the id is taken and
/// replace is `"0"`. A replaced job loses its lease, its unrestorable mark
/// and its previous fire time: it is a new job.
pub(crate) const ADD: &str = concat!(
    lua_announce!(),
    r"
local exists = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
if ARGV[4] ~= '1' and exists then
  return 0
end
local old = false
if exists then
  old = redis.call('ZSCORE', KEYS[2], ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
announce(ARGV[5], old, ARGV[3])
return 1
"
);

/// Replaces an existing job, keeping its lease and its previous fire time.
///
/// ARGV: id, JSON, score (`""` when paused), the channel of change notices.
/// Returns 1, or 0 when no such job exists.
pub(crate) const UPDATE: &str = concat!(
    lua_announce!(),
    r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
local old = redis.call('ZSCORE', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
redis.call('HDEL', KEYS[4], ARGV[1])
announce(ARGV[4], old, ARGV[3])
return 1
"
);

/// Removes a job with its index entry, lease, mark and previous fire time.
///
/// ARGV: id. Returns 1, or 0 when no such job exists.
pub(crate) const REMOVE: &str = r"
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
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
/// `TIME`, else the caller's now in microseconds). Returns an array of
/// `{id, JSON, previous fire time}` (`""` when it has none), earliest
/// first. Index entries whose job is gone are dropped.
pub(crate) const ACQUIRE: &str = concat!(
    lua_lease_now!(),
    r"
local now = lease_now(ARGV[5])
local limit = tonumber(ARGV[2])
local lease = ARGV[3] .. '|' .. string.format('%d', now + tonumber(ARGV[4]))
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
      if not expiry or expiry <= now then
        local json = redis.call('HGET', KEYS[1], id)
        if json then
          redis.call('HSET', KEYS[3], id, lease)
          claimed[#claimed + 1] = {id, json, redis.call('HGET', KEYS[5], id) or ''}
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
  redis.call('HDEL', KEYS[5], id)
end
return claimed
"
);

/// Hands a claimed job back: the `release` function above.
///
/// ARGV: id, owner, mode, the JSON the owner expects to find, the new
/// JSON, the new score, the channel of change notices.
pub(crate) const RELEASE: &str = concat!(
    lua_announce!(),
    lua_release!(),
    r"
return release(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
"
);

/// Settles what one owner acquired: per settlement, atomically, takes the
/// fire times, keeps the records and releases the job, if the owner still
/// holds the job under a live lease and its previous fire time is the one
/// the owner saw; else drops the owner's lease, if it has one.
///
/// KEYS: the five job keys, then the run history's `runs`, `runs_by_time`,
/// `runs_running` and `runs_jobs`, then the `runs_of` key of every record,
/// in the order of the records.
///
/// ARGV: owner, lease clock now (as for ACQUIRE), the channel of change
/// notices, then per settlement: id, the previous fire time the owner saw
/// (`""` for none), the previous fire time to set (`""` to keep it), the
/// release mode, expected JSON, new JSON and new score (as for RELEASE),
/// how many records follow, then per record: run key, JSON, score,
/// running (`1`/`0`), job id.
///
/// Returns one `{won, current}` per settlement: won 1 or 0; current is
/// `""`, or for a won settlement whose job's JSON changed since it was
/// acquired, the stored JSON: the job is still held, and the owner
/// finishes the release as after RELEASE's status 2.
pub(crate) const SETTLE: &str = concat!(
    lua_lease_now!(),
    lua_announce!(),
    lua_release!(),
    lua_record_run!(),
    r"
local now = lease_now(ARGV[2])
local owner = ARGV[1]
local channel = ARGV[3]
local outcomes = {}
local base = 4
local next_key = 10
while base <= #ARGV do
  local id = ARGV[base]
  local seen = ARGV[base + 1]
  local through = ARGV[base + 2]
  local records = tonumber(ARGV[base + 7])
  local first_record = base + 8
  local first_key = next_key
  next_key = next_key + records

  local held = redis.call('HGET', KEYS[3], id)
  local holder, expiry = nil, nil
  if held then
    holder, expiry = string.match(held, '^(.*)|(%-?%d+)$')
  end
  local mine = holder == owner
  local live = mine and tonumber(expiry) > now
  local exists = redis.call('HEXISTS', KEYS[1], id) == 1
  local previous = redis.call('HGET', KEYS[5], id) or ''
  if exists and live and previous == seen then
    if through ~= '' then
      redis.call('HSET', KEYS[5], id, through)
    end
    for r = 0, records - 1 do
      local at = first_record + r * 5
      record_run(KEYS[6], KEYS[7], KEYS[first_key + r], KEYS[8], KEYS[9],
        ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4])
    end
    local released = release(id, owner, ARGV[base + 3], ARGV[base + 4],
      ARGV[base + 5], ARGV[base + 6], channel)
    if released[1] == 2 then
      outcomes[#outcomes + 1] = {1, released[2]}
    else
      outcomes[#outcomes + 1] = {1, ''}
    end
  else
    if mine then
      redis.call('HDEL', KEYS[3], id)
    end
    outcomes[#outcomes + 1] = {0, ''}
  end
  base = first_record + records * 5
end
return outcomes
"
);

/// Records runs: the `record_run` function above, once per record.
///
/// KEYS: `runs`, `runs_by_time`, `runs_running`, `runs_jobs`, then the
/// `runs_of` key of every record. ARGV per record: run key, JSON, score,
/// running (`1`/`0`), job id. Returns how many it recorded.
pub(crate) const RECORD_RUNS: &str = concat!(
    lua_record_run!(),
    r"
local count = 0
for i = 1, #ARGV, 5 do
  count = count + 1
  record_run(KEYS[1], KEYS[2], KEYS[4 + count], KEYS[3], KEYS[4],
    ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4])
end
return count
"
);

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

/// Writes a node record with its heartbeat now. KEYS: the nodes hash.
///
/// ARGV: node id, the record's JSON up to its last field's value (`...,
/// "last_heartbeat":`), lease clock now (as for ACQUIRE). The record
/// stored is that text, the heartbeat in microseconds, and `}`. Returns
/// the record it replaced, or nil.
pub(crate) const HEARTBEAT: &str = concat!(
    lua_lease_now!(),
    r"
local beat = string.format('%d', lease_now(ARGV[3]))
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. beat .. '}')
return old
"
);

/// Removes a node record if it is the one of an instance. KEYS: the nodes
/// hash. ARGV: node id, instance. Returns 1 when removed, else 0 (no such
/// record, another instance's, or a record that does not read).
pub(crate) const REMOVE_NODE: &str = r"
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then
  return 0
end
local ok, node = pcall(cjson.decode, json)
if ok and type(node) == 'table' and node.instance == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
";
