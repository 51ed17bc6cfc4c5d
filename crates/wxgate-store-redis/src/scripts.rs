//! The Lua scripts behind every read-then-write change. Redis runs a script atomically, so each is one step
//! that no other replica can interleave with.
//!
//! Outbox scripts take the key prefix as `ARGV[1]` and share [`PRELUDE`]; the others take their keys in `KEYS`.

use redis::Script;

/// Helpers shared by the outbox scripts: key names, moving a job between state sets, leaving the user's queue, the
/// lease-holder check, and the holder's release (one more attempt, no lease) — `settle` is the two together; and
/// `row`, a job's fields as a claim returns them (in the order of `JOB_FIELDS`). Ready jobs are also in `now` (due,
/// by id) or `later` (backed off, or leased, by the time they are due again); sleeping jobs are in neither until
/// the user's next message wakes them into `now`, so a claim never scans the sleeping ones, nor the ones being sent.
/// A sleeping job is also in `sleepers` as `id \x1f account \x1f openid` (scored by id), so the users with answers
/// asleep are read a page at a time with one range instead of a lookup per job.
const PRELUDE: &str = r#"
local P = ARGV[1]
local function job(id) return P .. 'job:' .. id end
local function user(account, openid) return P .. 'user:' .. account .. '\31' .. openid end
-- A new job's place in its user's order: when it was accepted (ms × 1000), after the user's jobs accepted in the
-- same millisecond. A job accepted while Redis was away and forwarded from a replica's spool later takes its
-- place by its acceptance time.
local function place(key, accepted_at)
  local base = tonumber(accepted_at) * 1000
  local last = redis.call('ZREVRANGEBYSCORE', key, base + 999, base, 'WITHSCORES', 'LIMIT', 0, 1)
  if last[2] then return math.min(tonumber(last[2]) + 1, base + 999) end
  return base
end
local function due(id)
  local not_before = tonumber(redis.call('HGET', job(id), 'not_before'))
  if not_before > 0 then
    redis.call('ZREM', P .. 'now', id)
    redis.call('ZADD', P .. 'later', not_before, id)
  else
    redis.call('ZREM', P .. 'later', id)
    redis.call('ZADD', P .. 'now', id, id)
  end
end
local function undue(id)
  redis.call('ZREM', P .. 'now', id)
  redis.call('ZREM', P .. 'later', id)
end
local function no_longer_asleep(id)
  redis.call('ZREMRANGEBYSCORE', P .. 'sleepers', id, id)
end
local function asleep(id)
  local f = redis.call('HMGET', job(id), 'account', 'openid')
  redis.call('ZADD', P .. 'sleepers', id, id .. '\31' .. f[1] .. '\31' .. f[2])
end
local function move(id, from, to)
  redis.call('ZREM', P .. 'state:' .. from, id)
  redis.call('ZADD', P .. 'state:' .. to, id, id)
  redis.call('HSET', job(id), 'state', to)
  if to == 'ready' then due(id) elseif from == 'ready' or from == 'sleeping' then undue(id) end
  if to == 'sleeping' then
    asleep(id)
  elseif from == 'sleeping' then
    no_longer_asleep(id)
  end
end
local function leave(id, account, openid)
  redis.call('ZREM', user(account, openid), id)
end
local function finish(id)
  local f = redis.call('HMGET', job(id), 'account', 'openid')
  leave(id, f[1], f[2])
end
-- The job's state, account and openid when `worker` holds it, else false.
local function holds(id, worker)
  local f = redis.call('HMGET', job(id), 'state', 'lease_owner', 'account', 'openid')
  if (f[1] == 'ready' or f[1] == 'sleeping') and f[2] == worker then return {f[1], f[3], f[4]} end
  return false
end
local function release(id)
  redis.call('HINCRBY', job(id), 'attempts', 1)
  redis.call('HDEL', job(id), 'lease_owner', 'lease_until')
end
local function settle(id, worker)
  local held = holds(id, worker)
  if held then release(id) end
  return held
end
-- The fields of `JOB_FIELDS`, in that order.
local function row(id)
  return redis.call('HMGET', job(id), 'id', 'account', 'openid', 'dedup_key', 'push', 'answer', 'state', 'attempts',
    'not_before', 'last_error', 'accepted_at', 'from_appid')
end
"#;

/// The fields of a job as `row` returns them (a claim's and an adoption's reply: values only, in this order).
pub(crate) const JOB_FIELDS: [&str; 12] = [
    "id",
    "account",
    "openid",
    "dedup_key",
    "push",
    "answer",
    "state",
    "attempts",
    "not_before",
    "last_error",
    "accepted_at",
    "from_appid",
];

/// ARGV: prefix, account, openid, dedup key, push, accepted_at, lease owner ("" for none), lease until, from_appid
/// ("" for none), not_before. Returns the job id (the existing one for a known dedup key).
const ACCEPT: &str = r#"
local existing = redis.call('GET', P .. 'key:' .. ARGV[4])
if existing then return tonumber(existing) end
local id = redis.call('INCR', P .. 'seq')
redis.call('HSET', job(id), 'id', id, 'account', ARGV[2], 'openid', ARGV[3], 'dedup_key', ARGV[4], 'push', ARGV[5],
  'state', 'awaiting', 'attempts', 0, 'not_before', ARGV[10], 'accepted_at', ARGV[6])
if ARGV[7] ~= '' then redis.call('HSET', job(id), 'lease_owner', ARGV[7], 'lease_until', ARGV[8]) end
if ARGV[9] ~= '' then redis.call('HSET', job(id), 'from_appid', ARGV[9]) end
redis.call('SET', P .. 'key:' .. ARGV[4], id)
redis.call('ZADD', P .. 'state:awaiting', id, id)
local at = place(user(ARGV[2], ARGV[3]), ARGV[6])
redis.call('HSET', job(id), 'place', at)
redis.call('ZADD', user(ARGV[2], ARGV[3]), at, id)
return id
"#;

/// ARGV: prefix, id, "1" with the answer in ARGV[4] or "0" for nothing to say. Returns -1 for no such job, 0
/// when it was no longer awaited, 1 when recorded.
const SET_ANSWER: &str = r#"
local id = ARGV[2]
local state = redis.call('HGET', job(id), 'state')
if not state then return -1 end
if state ~= 'awaiting' then return 0 end
redis.call('HDEL', job(id), 'lease_owner', 'lease_until')
if ARGV[3] == '1' then
  redis.call('HSET', job(id), 'answer', ARGV[4])
  move(id, 'awaiting', 'ready')
else
  move(id, 'awaiting', 'done')
  finish(id)
end
return 1
"#;

/// ARGV: prefix, owner, until. Extends the leases of the awaited jobs `owner` holds; returns how many.
const RENEW: &str = r#"
local n = 0
for _, id in ipairs(redis.call('ZRANGE', P .. 'state:awaiting', 0, -1)) do
  if redis.call('HGET', job(id), 'lease_owner') == ARGV[2] then
    redis.call('HSET', job(id), 'lease_until', ARGV[3])
    n = n + 1
  end
end
return n
"#;

/// ARGV: prefix, owner, "1" when ARGV[4] names the earlier lives' prefix ("0" for none), now, lease until,
/// limit. Leases the awaited jobs nobody works on (the rule of `wxgate_store::outbox::adoptable`) and returns
/// them (each as its `row`), in id order.
const ADOPT: &str = r#"
local owner, earlier, now, limit = ARGV[2], ARGV[3] == '1', tonumber(ARGV[5]), tonumber(ARGV[7])
local out = {}
for _, id in ipairs(redis.call('ZRANGE', P .. 'state:awaiting', 0, -1)) do
  if #out >= limit then break end
  local f = redis.call('HMGET', job(id), 'lease_owner', 'lease_until')
  local free = (not f[1]) or tonumber(f[2]) <= now
    or (earlier and f[1] ~= owner and string.sub(f[1], 1, #ARGV[4]) == ARGV[4])
  if free then
    redis.call('HSET', job(id), 'lease_owner', owner, 'lease_until', ARGV[6])
    out[#out + 1] = row(id)
  end
end
return out
"#;

/// ARGV: prefix, worker, now, lease until, limit. Leases each user's oldest unfinished job when it is ready, due
/// and not leased; returns the leased jobs (each as its `row`), in id order. Only jobs due by
/// `now` are looked at, oldest first, a chunk at a time: a claim stops reading once it has its limit. A job leased
/// here waits in `later` until its lease runs out, so the jobs in flight are not read again by every claim (a
/// holder settling it moves it on; a holder that dies leaves it to come back due when the lease ends).
const CLAIM: &str = r#"
local worker, now, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[5])
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'later', '-inf', ARGV[3])) do
  redis.call('ZREM', P .. 'later', id)
  redis.call('ZADD', P .. 'now', id, id)
end
local chunk = math.max(64, limit * 4)
local from = 0
while #out < limit do
  local ids = redis.call('ZRANGE', P .. 'now', from, from + chunk - 1)
  if #ids == 0 then break end
  local taken = 0
  for _, id in ipairs(ids) do
    if #out >= limit then break end
    -- Only what decides is read for a candidate: one behind its user's head (read again by every claim until
    -- the head is settled) may carry a long answer.
    local f = redis.call('HMGET', job(id), 'account', 'openid', 'not_before', 'lease_until')
    if tonumber(f[3]) <= now and (not f[4] or tonumber(f[4]) <= now) then
      local head = redis.call('ZRANGE', user(f[1], f[2]), 0, 0)
      if head[1] == id then
        redis.call('HSET', job(id), 'lease_owner', worker, 'lease_until', ARGV[4])
        -- Leased, it is not due again before its lease runs out: the next claims need not read it.
        redis.call('ZREM', P .. 'now', id)
        redis.call('ZADD', P .. 'later', ARGV[4], id)
        taken = taken + 1
        out[#out + 1] = row(id)
      end
    end
  end
  from = from + #ids - taken
end
return out
"#;

/// ARGV: prefix, then an id and its worker for each job. Each holder marks its job sent; returns 1 (done) or 0 (not
/// held) per job, in order.
const ACKS: &str = r#"
local out = {}
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local held = settle(id, ARGV[i + 1])
  if held then
    move(id, held[1], 'done')
    leave(id, held[2], held[3])
  end
  out[#out + 1] = held and 1 or 0
end
return out
"#;

/// ARGV: prefix, id, worker, answer. The holder records what is left to send.
const SET_REMAINING: &str = r#"
if not holds(ARGV[2], ARGV[3]) then return 0 end
redis.call('HSET', job(ARGV[2]), 'answer', ARGV[4])
return 1
"#;

/// ARGV: prefix, account, openid. Makes the user's sleeping jobs claimable and ready jobs backed off after a failed
/// send due; returns how many.
const WAKE: &str = r#"
local n = 0
for _, id in ipairs(redis.call('ZRANGE', user(ARGV[2], ARGV[3]), 0, -1)) do
  local f = redis.call('HMGET', job(id), 'state', 'not_before', 'attempts')
  if f[1] == 'ready' and tonumber(f[2]) > 0 and tonumber(f[3]) > 0 then
    redis.call('HSET', job(id), 'not_before', 0)
    due(id)
    n = n + 1
  elseif f[1] == 'sleeping' and not redis.call('ZSCORE', P .. 'now', id) then
    redis.call('ZADD', P .. 'now', id, id)
    n = n + 1
  end
end
return n
"#;

/// ARGV: prefix, id, worker, not_before, error. The holder gives the job back for a later attempt.
const RETRY: &str = r#"
local id = ARGV[2]
local held = settle(id, ARGV[3])
if not held then return 0 end
redis.call('HSET', job(id), 'not_before', ARGV[4], 'last_error', ARGV[5])
if held[1] == 'ready' then due(id) else move(id, held[1], 'ready') end
return 1
"#;

/// ARGV: prefix, id, worker. The holder puts the job to sleep until the user's next message wakes it.
const SLEEP: &str = r#"
local id = ARGV[2]
local held = settle(id, ARGV[3])
if not held then return 0 end
redis.call('HSET', job(id), 'not_before', 0)
move(id, held[1], 'sleeping')
return 1
"#;

/// ARGV: prefix, id, worker, reason. The holder gives the job up.
const KILL: &str = r#"
local id = ARGV[2]
local held = settle(id, ARGV[3])
if not held then return 0 end
redis.call('HSET', job(id), 'last_error', ARGV[4])
move(id, held[1], 'dead')
leave(id, held[2], held[3])
return 1
"#;

/// ARGV: prefix, id. A dead job is queued again (in its place in the user's order).
const REVIVE: &str = r#"
local id = ARGV[2]
local f = redis.call('HMGET', job(id), 'state', 'account', 'openid', 'place')
if f[1] ~= 'dead' then return 0 end
redis.call('HSET', job(id), 'not_before', 0)
move(id, 'dead', 'ready')
redis.call('ZADD', user(f[2], f[3]), tonumber(f[4]) or 0, id)
return 1
"#;

/// ARGV: prefix, id. Deletes the job and its dedup key.
const REMOVE: &str = r#"
local id = ARGV[2]
local f = redis.call('HMGET', job(id), 'state', 'dedup_key')
if not f[1] then return 0 end
finish(id)
redis.call('ZREM', P .. 'state:' .. f[1], id)
undue(id)
no_longer_asleep(id)
redis.call('DEL', P .. 'key:' .. f[2], job(id))
return 1
"#;

/// KEYS: the token. ARGV: token, expires_at_ms, obtained_at_ms. The put-if-newer rule of
/// `wxgate_store::token::replaces`.
const TOKEN_PUT: &str = r#"
local f = redis.call('HMGET', KEYS[1], 'token', 'expires_at_ms', 'invalidated_at_ms')
local ok
if not f[1] then ok = true
elseif not f[3] then ok = f[1] ~= ARGV[1] and tonumber(ARGV[2]) > tonumber(f[2])
else ok = f[1] ~= ARGV[1] or tonumber(ARGV[3]) >= tonumber(f[3]) end
if not ok then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'expires_at_ms', ARGV[2], 'obtained_at_ms', ARGV[3])
return 1
"#;

/// KEYS: the token. ARGV: token, now. Compare-and-invalidate.
const TOKEN_INVALIDATE: &str = r#"
local f = redis.call('HMGET', KEYS[1], 'token', 'invalidated_at_ms')
if f[1] ~= ARGV[1] or f[2] then return 0 end
redis.call('HSET', KEYS[1], 'invalidated_at_ms', ARGV[2])
return 1
"#;

/// KEYS: the lease. ARGV: holder, now, until, expiry in ms (housekeeping only: times are the caller's).
const LEASE_TRY: &str = r#"
local f = redis.call('HMGET', KEYS[1], 'holder', 'until')
if f[1] and f[1] ~= ARGV[1] and tonumber(f[2]) > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'until', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"#;

/// KEYS: the lease. ARGV: holder.
const LEASE_RELEASE: &str = r#"
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"#;

/// KEYS: the media entry. ARGV: media id. Compare-and-remove.
const MEDIA_REMOVE: &str = r#"
if redis.call('HGET', KEYS[1], 'media_id') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
"#;

/// ARGV: prefix, an id, count. The next `count` sleeping jobs after that id, in id order, each as
/// `id \x1f account \x1f openid`. A page at a time, so no one call holds Redis long. Jobs put to sleep by a version
/// that kept no `sleepers` are added to it when their page is read.
const SLEEPERS: &str = r#"
local ids = redis.call('ZRANGEBYSCORE', P .. 'state:sleeping', '(' .. ARGV[2], '+inf', 'LIMIT', 0, tonumber(ARGV[3]))
if #ids == 0 then return {} end
local from, to = '(' .. ARGV[2], ids[#ids]
local users = redis.call('ZRANGEBYSCORE', P .. 'sleepers', from, to)
if #users >= #ids then return users end
for _, id in ipairs(ids) do asleep(id) end
return redis.call('ZRANGEBYSCORE', P .. 'sleepers', from, to)
"#;

/// KEYS: the push's attempt count. ARGV: time to live in ms. Counts one attempt; the first sets the expiry.
const COUNT_ATTEMPT: &str = r#"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"#;

/// KEYS: a push's lease, its result. ARGV: owner, lease in ms. `{2, result}` when finished, `{1}` when another
/// owner's lease lives, else takes (or renews) the lease: `{0}`.
const WORK_CLAIM: &str = r#"
local result = redis.call('GET', KEYS[2])
if result then return {2, result} end
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return {1} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {0}
"#;

/// KEYS: pushes' leases. ARGV: owner, lease in ms. For each, 1 when the owner held it and it is extended.
const WORK_RENEW: &str = r#"
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
"#;

/// KEYS: a push's lease, its result. ARGV: owner, result, time to live in ms. Keeps the first result; ends the
/// owner's lease.
const WORK_FINISH: &str = r#"
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3], 'NX')
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"#;

/// KEYS: a signed query. ARGV: body hash, time to live in ms. Keeps the first body; 1 when `ARGV[1]` is it.
const FIRST_BODY: &str = r#"
local first = redis.call('GET', KEYS[1])
if not first then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if first == ARGV[1] then return 1 end
return 0
"#;

/// KEYS: a user's window. Counts one send: remaining goes down by one, never below zero.
const SPEND: &str = r#"
local left = tonumber(redis.call('HGET', KEYS[1], 'remaining'))
if left and left > 0 then redis.call('HINCRBY', KEYS[1], 'remaining', -1) end
return 1
"#;

/// The scripts, hashed once (Redis caches them by SHA-1; a restarted server is sent the source again).
pub(crate) struct Scripts {
    pub accept: Script,
    pub set_answer: Script,
    pub claim: Script,
    pub renew: Script,
    pub adopt: Script,
    pub acks: Script,
    pub set_remaining: Script,
    pub wake: Script,
    pub retry: Script,
    pub sleep: Script,
    pub kill: Script,
    pub revive: Script,
    pub remove: Script,
    pub sleepers: Script,
    pub token_put: Script,
    pub token_invalidate: Script,
    pub lease_try: Script,
    pub lease_release: Script,
    pub media_remove: Script,
    pub count_attempt: Script,
    pub work_claim: Script,
    pub work_renew: Script,
    pub work_finish: Script,
    pub first_body: Script,
    pub spend: Script,
}

fn outbox(body: &str) -> Script {
    Script::new(&format!("{PRELUDE}{body}"))
}

impl Scripts {
    pub(crate) fn new() -> Self {
        Scripts {
            accept: outbox(ACCEPT),
            set_answer: outbox(SET_ANSWER),
            claim: outbox(CLAIM),
            renew: outbox(RENEW),
            adopt: outbox(ADOPT),
            acks: outbox(ACKS),
            set_remaining: outbox(SET_REMAINING),
            wake: outbox(WAKE),
            retry: outbox(RETRY),
            sleep: outbox(SLEEP),
            kill: outbox(KILL),
            revive: outbox(REVIVE),
            remove: outbox(REMOVE),
            sleepers: outbox(SLEEPERS),
            token_put: Script::new(TOKEN_PUT),
            token_invalidate: Script::new(TOKEN_INVALIDATE),
            lease_try: Script::new(LEASE_TRY),
            lease_release: Script::new(LEASE_RELEASE),
            media_remove: Script::new(MEDIA_REMOVE),
            count_attempt: Script::new(COUNT_ATTEMPT),
            work_claim: Script::new(WORK_CLAIM),
            work_renew: Script::new(WORK_RENEW),
            work_finish: Script::new(WORK_FINISH),
            first_body: Script::new(FIRST_BODY),
            spend: Script::new(SPEND),
        }
    }
}
