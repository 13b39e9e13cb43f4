-- ewsgate-push.lua: Dovecot push_notification Lua driver for ewsgate.
--
-- Every mail transaction (IMAP, LMTP delivery, doveadm) that changes messages or
-- folders ends with one POST of its events, as JSON, to ewsgate's internal event
-- endpoint, so ewsgate holds no IMAP connection to learn about changes.
--
-- Settings (plugin { } or, per user, userdb extra fields of the same name):
--   ewsgate_events_url     e.g. http://127.0.0.1:8081/ewsgate/events   (empty: do nothing)
--   ewsgate_events_secret  the shared secret (EWSGATE_EVENTS_SECRET on the ewsgate side)
--   ewsgate_events_timeout milliseconds to wait for ewsgate (default 2000)
--
-- A POST that fails is logged and dropped: ewsgate notices the gap on its own (it
-- compares folder MODSEQs) and reports it to clients, it never silently loses it.
--
-- Body: {"user":"…","events":[{"event":"MessageNew","mailbox":"INBOX","uid":7,"uidvalidity":1700000000}, …],
--        "folders":{"INBOX":{"uidvalidity":…,"uidnext":…,"messages":…,"unseen":…,"highestmodseq":…}}}

local clients = {}

local function http_client(timeout)
  local c = clients[timeout]
  if c == nil then
    c = dovecot.http.client({
      timeout = timeout,
      max_attempts = 1,
      request_timeout_msecs = timeout,
      soft_connect_timeout_msecs = timeout,
      user_agent = "dovecot-ewsgate-push",
    })
    clients[timeout] = c
  end
  return c
end

local function json_string(s)
  s = tostring(s or "")
  s = s:gsub('[%c"\\]', function(ch)
    if ch == '"' then return '\\"' end
    if ch == '\\' then return '\\\\' end
    return string.format("\\u%04x", string.byte(ch))
  end)
  return '"' .. s .. '"'
end

local function json_int(n)
  if n == nil then return "null" end
  return string.format("%d", math.tointeger(n) or 0)
end

function script_init()
  return 0
end

function dovecot_lua_notify_begin_txn(user)
  local url = user:plugin_getenv("ewsgate_events_url")
  if url == nil or url == "" then
    return { skip = true }
  end
  local timeout = tonumber(user:plugin_getenv("ewsgate_events_timeout") or "") or 2000
  return {
    skip = false,
    user = user,
    username = user.username,
    url = url,
    secret = user:plugin_getenv("ewsgate_events_secret") or "",
    timeout = math.floor(timeout),
    events = {},
    boxes = {},
  }
end

local function add(ctx, event, extra)
  if ctx.skip then return end
  local parts = {
    '"event":' .. json_string(event.name),
    '"mailbox":' .. json_string(event.mailbox),
  }
  if event.uid ~= nil then table.insert(parts, '"uid":' .. json_int(event.uid)) end
  if event.uid_validity ~= nil then table.insert(parts, '"uidvalidity":' .. json_int(event.uid_validity)) end
  if extra ~= nil then table.insert(parts, extra) end
  table.insert(ctx.events, "{" .. table.concat(parts, ",") .. "}")
  if event.mailbox ~= nil then ctx.boxes[event.mailbox] = true end
end

function dovecot_lua_notify_event_message_new(ctx, event) add(ctx, event) end
function dovecot_lua_notify_event_message_append(ctx, event) add(ctx, event) end
function dovecot_lua_notify_event_message_expunge(ctx, event) add(ctx, event) end
function dovecot_lua_notify_event_flags_set(ctx, event) add(ctx, event) end
function dovecot_lua_notify_event_flags_clear(ctx, event) add(ctx, event) end
function dovecot_lua_notify_event_mailbox_create(ctx, event) add(ctx, event) end
function dovecot_lua_notify_event_mailbox_delete(ctx, event) add(ctx, event) end
function dovecot_lua_notify_event_mailbox_rename(ctx, event)
  if not ctx.skip and event.mailbox_old ~= nil then ctx.boxes[event.mailbox_old] = nil end
  add(ctx, event, '"old":' .. json_string(event.mailbox_old))
end

-- The folder's state right after the transaction, so ewsgate can tell whether it
-- missed something without asking Dovecot.
local function folder_status(user, name)
  local ok, result = pcall(function()
    local box = user:mailbox(name, dovecot.storage.MAILBOX_FLAG_READONLY)
    local st = nil
    local ok2, err = pcall(function()
      box:sync()
      st = box:status(dovecot.storage.STATUS_UIDVALIDITY, dovecot.storage.STATUS_UIDNEXT,
        dovecot.storage.STATUS_MESSAGES, dovecot.storage.STATUS_UNSEEN, dovecot.storage.STATUS_HIGHESTMODSEQ)
    end)
    box:free()
    if not ok2 then error(err) end
    return st
  end)
  if not ok or result == nil then return nil end
  return '{"uidvalidity":' .. json_int(result.uidvalidity) .. ',"uidnext":' .. json_int(result.uidnext) ..
    ',"messages":' .. json_int(result.messages) .. ',"unseen":' .. json_int(result.unseen) ..
    ',"highestmodseq":' .. json_int(result.highest_modseq) .. '}'
end

function dovecot_lua_notify_end_txn(ctx)
  if ctx.skip or #ctx.events == 0 then return end
  local folders = {}
  for name, _ in pairs(ctx.boxes) do
    local st = folder_status(ctx.user, name)
    if st ~= nil then table.insert(folders, json_string(name) .. ":" .. st) end
  end
  local body = '{"user":' .. json_string(ctx.username) .. ',"events":[' .. table.concat(ctx.events, ",") ..
    '],"folders":{' .. table.concat(folders, ",") .. '}}'
  local ok, err = pcall(function()
    local req = http_client(ctx.timeout):request({ url = ctx.url, method = "POST" })
    req:add_header("Content-Type", "application/json")
    req:add_header("Authorization", "Bearer " .. ctx.secret)
    req:set_payload(body)
    local res = req:submit()
    local status = res:status()
    if status < 200 or status >= 300 then
      dovecot.i_warning("ewsgate-push: " .. ctx.url .. " answered " .. tostring(status) .. " " .. tostring(res:reason()))
    end
  end)
  if not ok then
    dovecot.i_warning("ewsgate-push: POST to " .. ctx.url .. " failed: " .. tostring(err))
  end
end
