-- tandem/session.lua: one room session: starts the bridge, says hello, joins, routes every
-- message from the bridge to the module that handles it, and tracks requests by id.
local Bridge = require("tandem.bridge")
local buffer = require("tandem.buffer")
local chat = require("tandem.chat")
local cursors = require("tandem.cursors")
local log = require("tandem.log")
local runs = require("tandem.runs")
local status = require("tandem.status")

local api = vim.api
local S = {
  VERSION = "0.1.0",
  config = { bridge = nil, name = nil, cursor_throttle_ms = 50, log = nil },
  bridge = nil,
  welcomed = false,
  queue = {},
  next_id = 1,
  requests = {},
  files = {},
  people = {},
  following = nil,
  leaving = false,
}

local nz = require("tandem.bridge").nz

local function notify(msg, level)
  vim.notify("Tandem: " .. msg, level or vim.log.levels.INFO)
end

-- Nothing but `hello` goes out before `welcome`: the rest waits in the queue.
function S.raw_send(msg)
  if not S.bridge then
    return false
  end
  if not S.welcomed and msg.type ~= "hello" then
    table.insert(S.queue, msg)
    return true
  end
  return S.bridge:send(msg)
end

-- Every message but the buffers' own goes through here: local edits still waiting for the end
-- of the current command go first, so the bridge sees everything in the order it happened.
function S.send(msg)
  buffer.flush()
  return S.raw_send(msg)
end

function S.joined()
  if S.bridge then
    return true
  end
  notify("not in a room (:TandemJoin <link>)", vim.log.levels.WARN)
  return false
end

-- Sends a request with a fresh id; `ctx` comes back to whoever handles the answer.
function S.request(msg, ctx)
  local id = S.next_id
  S.next_id = id + 1
  msg.id = id
  S.requests[id] = ctx or {}
  S.send(msg)
  return id
end

local function take(re)
  re = nz(re)
  if re == nil then
    return {}
  end
  local ctx = S.requests[re] or {}
  S.requests[re] = nil
  return ctx
end

-- Shows bound buffer `b` in the current window (or a split when the current buffer cannot be
-- left) and puts the cursor at room offset `offset` if given.
function S.show(b, offset)
  if api.nvim_get_current_buf() ~= b.buf then
    if not pcall(api.nvim_set_current_buf, b.buf) then
      vim.cmd("sbuffer " .. b.buf)
    end
  end
  if offset then
    local row, col = buffer.position(b, offset)
    pcall(api.nvim_win_set_cursor, 0, { row + 1, col })
  end
end

local handlers = {}

function handlers.welcome()
  S.welcomed = true
  local queued = S.queue
  S.queue = {}
  for _, m in ipairs(queued) do
    S.bridge:send(m)
  end
end

function handlers.state(m)
  local ro = m.read_only == true
  status.set({ state = nz(m.state), read_only = ro, reason = nz(m.reason) })
  buffer.set_read_only(ro)
  if m.state == "closed" and nz(m.reason) then
    notify("left the room: " .. m.reason, vim.log.levels.WARN)
  end
end

function handlers.joined(m)
  take(m.re)
  status.set({ room = nz(m.room) or status.room, read_only = m.read_only == true })
end

function handlers.left(m)
  take(m.re)
end

function handlers.sent(m)
  take(m.re)
end

-- `closed {path, reason}`: the file is gone from the room (deleted): the buffer stays, unbound.
function handlers.closed(m)
  local b = buffer.by_path[m.path]
  if b then
    buffer.unbind(b)
  end
  notify(("%s was closed: %s"):format(m.path, nz(m.reason) or "?"), vim.log.levels.WARN)
end

function handlers.files(m)
  S.files = m.files or {}
end

function handlers.opened(m)
  local ctx = take(m.re)
  local b = buffer.open(m, status.room or "room")
  if ctx.show then
    S.show(b, ctx.offset)
  end
end

function handlers.remote_edit(m)
  buffer.remote_edit(m)
end

function handlers.resync(m)
  buffer.resync(m)
end

function handlers.cursors(m)
  cursors.on_cursors(m, buffer.by_path[m.path])
end

function handlers.presence(m)
  S.people = m.people or {}
  status.set({ people = #S.people })
end

function handlers.follow_target(m)
  if not S.following or nz(m.path) == nil then
    return
  end
  local b = buffer.by_path[m.path]
  if b then
    S.show(b, m.offset)
  else
    S.request({ type = "open", path = m.path }, { show = true, offset = m.offset })
  end
end

function handlers.asked(m)
  take(m.re)
  chat.on_asked(nz(m.message))
end

function handlers.chat_message(m)
  chat.on_message(m)
end

function handlers.run_started(m)
  local ctx = take(m.re)
  runs.on_started(m.run, ctx.entry)
end


function handlers.run_output(m)
  runs.on_output(m)
end

function handlers.run_status(m)
  runs.on_status(m)
end

handlers["error"] = function(m)
  take(m.re)
  notify(("%s (%s)"):format(nz(m.message) or "error", nz(m.code) or "?"), vim.log.levels.ERROR)
end

function S.dispatch(m)
  local h = handlers[m.type]
  if h then
    h(m)
  else
    log.write("ignored message type " .. tostring(m.type))
  end
end

local function on_exit(code)
  local was_leaving = S.leaving
  local stderr = S.bridge and S.bridge.stderr or {}
  S.bridge, S.welcomed, S.queue, S.requests, S.following, S.leaving = nil, false, {}, {}, nil, false
  buffer.unbind_all()
  cursors.clear_all()
  if was_leaving then
    status.reset()
    return
  end
  status.set({ state = "closed", reason = status.reason or ("bridge exited with status " .. code) })
  if code ~= 0 then
    notify(("the bridge exited with status %d%s"):format(code, #stderr > 0 and (": " .. stderr[#stderr]) or ""),
      vim.log.levels.ERROR)
  end
end

-- The room named by a link (`http://host/r/ROOM#token=...`).
local function room_of(link)
  return link:match("/r/([^/?#]+)") or link
end

-- The display name; nil lets the bridge take the one the link's token carries.
function S.name()
  local name = S.config.name or vim.env.TANDEM_NAME
  if name == "" then
    return nil
  end
  return name
end

-- Joins a room: `target` is a link, or a table {url, room, token}.
function S.join(target)
  if S.bridge then
    notify(("already in %s (:TandemLeave first)"):format(status.room or "a room"), vim.log.levels.WARN)
    return false
  end
  if S.config.log then
    log.set(S.config.log)
  end
  local br, err = Bridge.start(Bridge.command(S.config.bridge), S.dispatch, on_exit)
  if not br then
    notify(err, vim.log.levels.ERROR)
    return false
  end
  S.bridge, S.welcomed, S.queue, S.leaving = br, false, {}, false
  S.files, S.people = {}, {}
  chat.reset()
  runs.reset()
  local join = { type = "join", name = S.name() }
  local room
  if type(target) == "table" then
    join.url, join.room, join.token, room = target.url, target.room, target.token, target.room
  else
    join.link, room = target, room_of(target)
  end
  status.set({ room = room, state = "connecting", read_only = false, reason = nil, people = 0 })
  local v = vim.version()
  br:send({
    type = "hello",
    protocol = 1,
    client = "tandem.nvim " .. S.VERSION,
    editor = ("nvim %d.%d.%d"):format(v.major, v.minor, v.patch),
    offsets = "utf-8",
  })
  S.request(join)
  return true
end

function S.leave()
  if not S.bridge then
    status.reset()
    return
  end
  S.send({ type = "leave", id = S.next_id })
  S.next_id = S.next_id + 1
  S.leaving = true
  buffer.unbind_all()
  cursors.clear_all()
  S.bridge:stop()
  -- A bridge that does not exit on end of input is stopped after a grace period.
  local br = S.bridge
  vim.defer_fn(function()
    if S.bridge == br then
      br:kill()
    end
  end, 3000)
end

-- Opens room file `path` in the current window; `create` makes an empty file if there is none.
function S.open(path, create)
  if not S.joined() then
    return
  end
  local b = buffer.by_path[path]
  if b and api.nvim_buf_is_loaded(b.buf) then
    S.show(b)
    return
  end
  S.request({ type = "open", path = path, create = create or nil }, { show = true })
end

function S.follow(name)
  if not S.joined() then
    return
  end
  if name == "" then
    name = nil
  end
  S.following = name
  S.send({ type = "follow", name = name or vim.NIL })
end

function S.file_paths()
  local out = {}
  for _, f in ipairs(S.files) do
    if type(f) == "table" and type(f.path) == "string" then
      table.insert(out, f.path)
    elseif type(f) == "string" then
      table.insert(out, f)
    end
  end
  return out
end

function S.people_names()
  local out = {}
  for _, p in ipairs(S.people) do
    if type(p.name) == "string" then
      table.insert(out, p.name)
    end
  end
  return out
end

-- Stops the bridge when Neovim exits.
function S.shutdown()
  if S.bridge then
    S.leaving = true
    S.bridge:stop()
    S.bridge:kill()
  end
end

buffer.send = S.raw_send
buffer.on_bound = function(b)
  cursors.redraw(b)
end

return S
