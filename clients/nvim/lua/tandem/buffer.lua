-- tandem/buffer.lua: binds Neovim buffers to room files. Local changes (on_bytes) go out as
-- `edit` messages stamped with b:changedtick; `remote_edit` and `resync` are applied only on the
-- counter they were computed for, keeping every window's cursor on its character.
local text = require("tandem.text")
local log = require("tandem.log")

local api = vim.api
local M = {}

M.by_path = {}
M.by_buf = {}
M.read_only = false
-- How often on_bytes did not add up and a diff was sent instead (tests expect none).
M.diffs = 0
-- Where messages go; the session sets it (unit tests stub it).
M.send = function(_) end
-- Called after a buffer is bound or re-filled (the session redraws cursors there).
M.on_bound = function(_) end

local keep_ns = api.nvim_create_namespace("tandem_keep_cursor")
local flush_scheduled = false

local function lines_of(buf)
  return api.nvim_buf_get_lines(buf, 0, -1, false)
end

-- The room text the buffer holds now.
function M.room_text(b)
  return text.from_lines(lines_of(b.buf), b.eol)
end

-- The text on_bytes says was inserted: the new range (start + new_end), read back from the
-- buffer. A range ending after the final newline (`o` on the last line, `ggdG`) stops at the end
-- of the last line, plus that newline.
local function inserted(buf, sr, sc, ner, nec, neb)
  if neb == 0 then
    return ""
  end
  local er = sr + ner
  local ec = ner == 0 and sc + nec or nec
  local suffix = ""
  local count = api.nvim_buf_line_count(buf)
  if er >= count then
    local last = api.nvim_buf_get_lines(buf, count - 1, count, false)[1] or ""
    er, ec, suffix = count - 1, #last, "\n"
  end
  return table.concat(api.nvim_buf_get_text(buf, sr, sc, er, ec, {}), "\n") .. suffix
end

function M.schedule_flush()
  if not flush_scheduled then
    flush_scheduled = true
    -- Deferred to the end of the current command: on_bytes sees b:changedtick before its
    -- increment, and one command (`o`, `:s`) may report several changes under one counter.
    vim.schedule(M.flush)
  end
end

local function on_bytes(_, buf, _, sr, sc, sb, _, _, oeb, ner, nec, neb)
  local b = M.by_buf[buf]
  if not b then
    return true -- unbound: detach
  end
  if b.applying then
    return
  end
  local ok, ins = pcall(inserted, buf, sr, sc, ner, nec, neb)
  local f, t, s
  if ok and #ins == neb then
    f, t, s = text.local_change(sb, sb + oeb, ins, #b.shadow, b.eol)
  end
  if f then
    b.shadow = text.apply(b.shadow, f, t, s)
    table.insert(b.pending, { from = f, to = t, text = s })
  else
    -- Does not add up: the flush sends a diff of the whole text instead.
    b.drift = true
  end
  M.schedule_flush()
end

-- Sends the buffer's changes since the last message (or only its new counter, when it moved
-- without a change). The buffer's actual text is the check: should the changes reported by
-- on_bytes not lead to it, one diff from what the bridge knows does.
local function flush_one(b)
  if not api.nvim_buf_is_loaded(b.buf) then
    return
  end
  local tick = api.nvim_buf_get_changedtick(b.buf)
  if #b.pending == 0 and not b.drift and tick == b.tick then
    return
  end
  local actual = M.room_text(b)
  local changes = b.pending
  if b.drift or actual ~= b.shadow then
    log.write(("%s: on_bytes did not add up; sending a diff"):format(b.path))
    M.diffs = M.diffs + 1
    changes = {}
    if actual ~= b.flushed then
      local f, t, s = text.diff(b.flushed, actual)
      changes = { { from = f, to = t, text = s } }
    end
  end
  b.pending, b.drift, b.shadow, b.flushed, b.tick = {}, false, actual, actual, tick
  -- Everything is in the room as soon as it is typed: nothing for :q to warn about.
  api.nvim_buf_set_option(b.buf, "modified", false)
  M.send({ type = "edit", path = b.path, tick = tick, changes = changes })
end

function M.flush()
  flush_scheduled = false
  for _, b in pairs(M.by_buf) do
    flush_one(b)
  end
end

-- Runs `fn` as the plugin's own change of `b` (not reported as local edits), with every
-- window's cursor kept on its character: each cursor rides an extmark through the change.
local function as_remote(b, fn)
  local marks = {}
  for _, win in ipairs(api.nvim_list_wins()) do
    if api.nvim_win_get_buf(win) == b.buf then
      local pos = api.nvim_win_get_cursor(win)
      local ok, id = pcall(api.nvim_buf_set_extmark, b.buf, keep_ns, pos[1] - 1, pos[2], {})
      if ok then
        table.insert(marks, { win = win, id = id })
      end
    end
  end
  local modifiable = api.nvim_buf_get_option(b.buf, "modifiable")
  api.nvim_buf_set_option(b.buf, "modifiable", true)
  b.applying = true
  local ok, err = pcall(fn)
  b.applying = false
  api.nvim_buf_set_option(b.buf, "modifiable", modifiable)
  api.nvim_buf_set_option(b.buf, "modified", false)
  for _, m in ipairs(marks) do
    local pos = api.nvim_buf_get_extmark_by_id(b.buf, keep_ns, m.id, {})
    if pos[1] and api.nvim_win_is_valid(m.win) then
      pcall(api.nvim_win_set_cursor, m.win, { pos[1] + 1, pos[2] })
    end
  end
  api.nvim_buf_clear_namespace(b.buf, keep_ns, 0, -1)
  if not ok then
    error(err, 0)
  end
end

-- Replaces the buffer's lines with those of `new_text` through a line diff, so unchanged lines
-- (and cursors on them) stay put; a cursor on a replaced line keeps its row within the hunk and
-- its column, clamped.
local function replace_all(b, new_text)
  local new_lines, eol = text.to_lines(new_text)
  local old_lines = lines_of(b.buf)
  local hunks = vim.diff(
    table.concat(old_lines, "\n") .. "\n",
    table.concat(new_lines, "\n") .. "\n",
    { result_type = "indices" }
  )
  local cursors = {}
  for _, win in ipairs(api.nvim_list_wins()) do
    if api.nvim_win_get_buf(win) == b.buf then
      local pos = api.nvim_win_get_cursor(win)
      table.insert(cursors, { win = win, row = text.map_row(hunks, pos[1]), col = pos[2] })
    end
  end
  local modifiable = api.nvim_buf_get_option(b.buf, "modifiable")
  api.nvim_buf_set_option(b.buf, "modifiable", true)
  b.applying = true
  local ok, err = pcall(function()
    for i = #hunks, 1, -1 do
      local sa, ca, sb, cb = hunks[i][1], hunks[i][2], hunks[i][3], hunks[i][4]
      local repl = {}
      for k = sb, sb + cb - 1 do
        repl[#repl + 1] = new_lines[k]
      end
      local start = ca == 0 and sa or sa - 1
      api.nvim_buf_set_lines(b.buf, start, start + ca, false, repl)
    end
  end)
  b.applying = false
  api.nvim_buf_set_option(b.buf, "modifiable", modifiable)
  api.nvim_buf_set_option(b.buf, "modified", false)
  b.eol = eol
  local count = api.nvim_buf_line_count(b.buf)
  for _, c in ipairs(cursors) do
    local row = math.min(c.row, count)
    local line = api.nvim_buf_get_lines(b.buf, row - 1, row, false)[1] or ""
    pcall(api.nvim_win_set_cursor, c.win, { row, math.min(c.col, #line) })
  end
  if not ok then
    error(err, 0)
  end
end

-- After the plugin changed the buffer: what it holds is what the bridge now knows.
local function settle(b, expected, base)
  local actual = M.room_text(b)
  if actual ~= expected then
    -- Should not happen; the next flush tells the bridge the difference.
    log.write(("%s: buffer differs from the applied text"):format(b.path))
    b.drift = true
    M.schedule_flush()
  end
  b.shadow, b.flushed, b.pending = actual, expected, {}
  b.tick = api.nvim_buf_get_changedtick(b.buf)
  M.send({ type = "applied", path = b.path, base = base, tick = b.tick })
end

-- `remote_edit {path, base, changes}`: applied only when the buffer is still at `base`. When
-- the person typed meanwhile the edit is dropped without an answer: the bridge derives it again
-- from their `edit`.
function M.remote_edit(msg)
  local b = M.by_path[msg.path]
  if not b then
    return
  end
  M.flush()
  if api.nvim_buf_get_changedtick(b.buf) ~= msg.base then
    log.write(("%s: remote edit on %s dropped (buffer at %d)"):format(
      b.path, tostring(msg.base), api.nvim_buf_get_changedtick(b.buf)))
    return
  end
  local expected = b.shadow
  as_remote(b, function()
    for _, c in ipairs(msg.changes or {}) do
      local f, t, s, eol = text.remote_change(c.from, c.to, c.text, #expected, b.eol)
      if not f then
        error(("remote change %d..%d does not fit %s (%d bytes)"):format(c.from, c.to, b.path, #expected), 0)
      end
      local lines = lines_of(b.buf)
      local r1, c1 = text.offset_to_pos(lines, f)
      local r2, c2 = text.offset_to_pos(lines, t)
      api.nvim_buf_set_text(b.buf, r1, c1, r2, c2, text.split(s))
      expected = text.apply(expected, c.from, c.to, c.text)
      b.eol = eol
    end
  end)
  settle(b, expected, msg.base)
end

-- `resync {path, base, text}`: the whole text, applied whatever the counter.
function M.resync(msg)
  local b = M.by_path[msg.path]
  if not b then
    return
  end
  M.flush()
  replace_all(b, msg.text)
  settle(b, msg.text, msg.base)
  M.on_bound(b)
end

local function find_buffer(name)
  for _, buf in ipairs(api.nvim_list_bufs()) do
    if api.nvim_buf_get_name(buf) == name then
      return buf
    end
  end
end

local function set_filetype(buf, path)
  local ft
  if vim.fn.has("nvim-0.8") == 1 then
    local ok, got = pcall(vim.filetype.match, { filename = path, buf = buf })
    ft = ok and got or nil
  end
  ft = ft or text.ext_filetype(path)
  if ft and api.nvim_buf_get_option(buf, "filetype") ~= ft then
    api.nvim_buf_set_option(buf, "filetype", ft)
  end
end

local group = api.nvim_create_augroup("tandem_buffers", { clear = true })

-- `opened {path, text, tick}`: fills (or re-fills) the buffer `tandem://ROOM/PATH` and answers
-- `applied` on the `tick` the bridge sent. Returns the binding.
function M.open(msg, room)
  local b = M.by_path[msg.path]
  if b and api.nvim_buf_is_loaded(b.buf) then
    M.flush()
    replace_all(b, msg.text)
    settle(b, msg.text, msg.tick)
    M.on_bound(b)
    return b
  end
  local name = ("tandem://%s/%s"):format(room, msg.path)
  local buf = find_buffer(name)
  if not buf then
    buf = api.nvim_create_buf(true, false)
    api.nvim_buf_set_name(buf, name)
  end
  local lines, eol = text.to_lines(msg.text)
  -- The room's text is not for `u` to take back: it goes in outside the undo history.
  api.nvim_buf_set_option(buf, "undolevels", -1)
  api.nvim_buf_set_option(buf, "modifiable", true)
  api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  api.nvim_buf_set_option(buf, "undolevels", -123456)
  api.nvim_buf_set_option(buf, "buftype", "acwrite")
  api.nvim_buf_set_option(buf, "swapfile", false)
  -- Stay loaded (and attached) while no window shows it.
  api.nvim_buf_set_option(buf, "bufhidden", "hide")
  api.nvim_buf_set_option(buf, "modified", false)
  api.nvim_buf_set_option(buf, "modifiable", not M.read_only)
  api.nvim_buf_set_var(buf, "tandem_path", msg.path)
  set_filetype(buf, msg.path)

  api.nvim_clear_autocmds({ group = group, buffer = buf })
  api.nvim_create_autocmd("BufWriteCmd", {
    group = group,
    buffer = buf,
    callback = function()
      M.flush()
      api.nvim_buf_set_option(buf, "modified", false)
      api.nvim_echo({ { ("Tandem: %s is saved in the room"):format(msg.path) } }, false, {})
    end,
  })
  -- :e would read a file of that name (there is none) over the room's text.
  api.nvim_create_autocmd({ "BufReadCmd", "FileReadCmd" }, {
    group = group,
    buffer = buf,
    callback = function() end,
  })

  b = {
    buf = buf,
    path = msg.path,
    eol = eol,
    shadow = msg.text,
    flushed = msg.text,
    pending = {},
    drift = false,
    tick = api.nvim_buf_get_changedtick(buf),
  }
  M.by_path[msg.path] = b
  M.by_buf[buf] = b
  api.nvim_buf_attach(buf, false, {
    on_bytes = on_bytes,
    -- The counter moved without a change: the bridge must know it, or every remote edit
    -- computed on the old counter would be dropped.
    on_changedtick = function(_, bufnr)
      if M.by_buf[bufnr] then
        M.schedule_flush()
      else
        return true
      end
    end,
    on_detach = function(_, bufnr)
      local gone = M.by_buf[bufnr]
      if gone then
        M.by_buf[bufnr] = nil
        M.by_path[gone.path] = nil
        M.send({ type = "close", path = gone.path })
      end
    end,
  })
  M.send({ type = "applied", path = msg.path, base = msg.tick, tick = b.tick })
  M.on_bound(b)
  return b
end

-- Forgets a binding: the buffer stays, as plain scratch text (on_bytes detaches on its next call).
function M.unbind(b)
  M.by_buf[b.buf] = nil
  M.by_path[b.path] = nil
  if api.nvim_buf_is_valid(b.buf) then
    api.nvim_clear_autocmds({ group = group, buffer = b.buf })
    pcall(api.nvim_buf_set_option, b.buf, "buftype", "nofile")
    pcall(api.nvim_buf_set_option, b.buf, "modifiable", true)
  end
end

-- Forgets every binding (after leaving the room).
function M.unbind_all()
  for _, b in pairs(M.by_buf) do
    M.unbind(b)
  end
end

function M.set_read_only(ro)
  M.read_only = ro
  for buf in pairs(M.by_buf) do
    api.nvim_buf_set_option(buf, "modifiable", not ro)
  end
end

-- The room offset of (row, col) (0-based) in the bound buffer `b`.
function M.offset(b, row, col)
  local lines = api.nvim_buf_get_lines(b.buf, 0, row + 1, false)
  local off = text.pos_to_offset(lines, row, col)
  return math.max(0, math.min(off, #M.room_text(b)))
end

-- The (row, col) (0-based) of room offset `off` in the bound buffer `b`.
function M.position(b, off)
  return text.offset_to_pos(lines_of(b.buf), off)
end

return M
