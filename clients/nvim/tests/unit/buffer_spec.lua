-- tests/unit/buffer_spec.lua: tandem.buffer on real Neovim buffers, with the bridge replaced by
-- a stub that records messages: typed keys become `edit` messages that rebuild the buffer's text
-- from the room's, stamped with the real b:changedtick; remote edits land in place, keep the
-- cursor on its character (normal and insert mode, current buffer or not, multibyte) and are
-- acknowledged with `applied`.
local buffer = require("tandem.buffer")
local text = require("tandem.text")
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/helpers.lua")
local eq = H.eq
local api = vim.api

local tests = {}
local function test(name, fn)
  table.insert(tests, { name, fn })
end

local sent
local room_seq = 0

-- Binds a fresh buffer to a room file holding `content` and shows it; returns the binding.
local function open(content)
  for _, b in pairs(buffer.by_buf) do
    pcall(api.nvim_buf_delete, b.buf, { force = true })
  end
  buffer.unbind_all()
  buffer.diffs = 0
  sent = {}
  buffer.send = function(msg)
    table.insert(sent, msg)
  end
  room_seq = room_seq + 1
  local b = buffer.open({ type = "opened", path = "f" .. room_seq .. ".py", text = content, tick = 0 }, "unit")
  api.nvim_set_current_buf(b.buf)
  return b
end

local function keys(s)
  api.nvim_feedkeys(api.nvim_replace_termcodes(s, true, false, true), "xt", false)
  buffer.flush()
end

-- The room's text rebuilt from `start` and every `edit` sent so far, checking each edit's
-- counter is the buffer's real one at the time it was sent.
local function replay(start, allow_diff)
  if not allow_diff then
    eq(0, buffer.diffs, "on_bytes always added up (no fallback diff)")
  end
  local room = start
  for _, m in ipairs(sent) do
    if m.type == "edit" then
      for _, c in ipairs(m.changes) do
        H.truthy(c.from >= 0 and c.from <= c.to and c.to <= #room, "change fits: " .. vim.inspect(c))
        room = text.apply(room, c.from, c.to, c.text)
      end
    end
  end
  return room
end

local function edits()
  return vim.tbl_filter(function(m)
    return m.type == "edit"
  end, sent)
end

test("opening answers applied with the real counter and fills the buffer", function()
  local b = open("print('é')\n")
  eq({ "print('é')" }, api.nvim_buf_get_lines(b.buf, 0, -1, false), "lines")
  eq(true, b.eol, "eol")
  eq("acwrite", vim.bo[b.buf].buftype, "buftype")
  eq("python", vim.bo[b.buf].filetype, "filetype")
  eq(1, #sent, "one message")
  eq({ type = "applied", path = b.path, base = 0, tick = api.nvim_buf_get_changedtick(b.buf) }, sent[1], "applied")
  -- The room's text is not undoable.
  keys("u")
  eq({ "print('é')" }, api.nvim_buf_get_lines(b.buf, 0, -1, false), "u does not empty it")
end)

test("typed keys become edits that rebuild the text (eol file)", function()
  local start = "def f():\n    return 1\n"
  local b = open(start)
  keys("ggAé<Esc>")
  keys("jo    x = 你好<Esc>")
  keys("ggdd")
  keys("Gp")
  keys("gg0xx")
  local want = text.from_lines(api.nvim_buf_get_lines(b.buf, 0, -1, false), true)
  eq(want, replay(start), "replayed room text")
  local last = edits()[#edits()]
  eq(api.nvim_buf_get_changedtick(b.buf), last.tick, "last edit carries the current counter")
  -- Every edit's counter moves forward.
  local prev = 0
  for _, m in ipairs(edits()) do
    H.truthy(m.tick > prev, "ticks increase")
    prev = m.tick
  end
end)

test("a noeol file keeps its missing final newline through o, dd and ggdG", function()
  local start = "a\nb"
  local b = open(start)
  eq(false, b.eol, "noeol")
  keys("Go😀<Esc>")
  eq("a\nb\n😀", replay(start), "o on the last line")
  keys("dd")
  eq("a\nb", replay(start), "dd of the last line")
  keys("ggdG")
  eq("", replay(start), "ggdG")
  keys("ihi<Esc>")
  eq("hi", replay(start), "typing into the empty file")
end)

test("an empty file stays empty until typed into", function()
  local b = open("")
  eq({ "" }, api.nvim_buf_get_lines(b.buf, 0, -1, false), "one empty line")
  keys("ix<CR>y<Esc>")
  eq("x\ny", replay(""), "typed")
end)

test("API changes and :s are reported too", function()
  local start = "one\ntwo\nthree\n"
  local b = open(start)
  api.nvim_buf_set_text(b.buf, 1, 0, 1, 3, { "TWO", "2" })
  buffer.flush()
  eq("one\nTWO\n2\nthree\n", replay(start), "set_text")
  -- Neovim 0.7 calls on_bytes for :s before the line holds the new text: the flush notices the
  -- buffer is not what the changes say and sends a diff instead, so the room still gets it.
  vim.cmd("silent %s/e/E/g")
  buffer.flush()
  eq("onE\nTWO\n2\nthrEE\n", replay(start, true), ":s")
end)

test("the counter moving without a change is reported as an empty edit", function()
  local b = open("x\n")
  sent = {}
  buffer.flush()
  eq(0, #sent, "nothing to say")
  -- :w is a no-op that does not move the counter...
  vim.cmd("silent write")
  buffer.flush()
  eq(0, #sent, ":w sends nothing")
  -- ...but a counter the bridge does not know is told (as if it moved without a change).
  b.tick = b.tick - 1
  buffer.flush()
  eq({ { type = "edit", path = b.path, tick = api.nvim_buf_get_changedtick(b.buf), changes = {} } }, sent, "empty edit")
end)

-- Applies a remote edit on the buffer's current counter.
local function remote(b, changes)
  sent = {}
  local base = api.nvim_buf_get_changedtick(b.buf)
  buffer.remote_edit({ type = "remote_edit", path = b.path, base = base, changes = changes })
  return base
end

local function cursor()
  return api.nvim_win_get_cursor(0)
end

test("a remote edit lands in place and keeps the cursor on its character", function()
  local start = "héllo wörld\n你好 😀 x\nend\n"
  local b = open(start)
  -- Cursor on "w" of wörld (line 1, byte 7).
  api.nvim_win_set_cursor(0, { 1, 7 })
  local base = remote(b, { { from = 0, to = 0, text = "é😀 " } })
  eq({ "é😀 héllo wörld", "你好 😀 x", "end" }, api.nvim_buf_get_lines(b.buf, 0, -1, false), "inserted at 0")
  eq({ 1, 7 + #"é😀 " }, cursor(), "cursor still on w")
  eq({ { type = "applied", path = b.path, base = base, tick = api.nvim_buf_get_changedtick(b.buf) } }, sent, "applied")
  -- Lines inserted above and text before the cursor on its own line (x on line 2).
  api.nvim_win_set_cursor(0, { 2, #"你好 😀 " })
  local l1 = #"é😀 héllo wörld\n"
  remote(b, { { from = 0, to = 0, text = "new\nlines\n" }, { from = #"new\nlines\n" + l1, to = #"new\nlines\n" + l1, text = "你" } })
  eq("你你好 😀 x", api.nvim_buf_get_lines(b.buf, 3, 4, false)[1], "second change on the text after the first")
  eq({ 4, #"你你好 😀 " }, cursor(), "cursor still on x")
  eq("x", api.nvim_get_current_line():sub(cursor()[2] + 1, cursor()[2] + 1), "on x")
  -- A deletion before the cursor.
  remote(b, { { from = 0, to = #"new\n", text = "" } })
  eq({ 3, #"你你好 😀 " }, cursor(), "cursor moved up with its line")
  -- A line break before the cursor on its line (Neovim alone keeps the column: wrong char).
  local line3 = #"lines\né😀 héllo wörld\n"
  remote(b, { { from = line3 + #"你", to = line3 + #"你", text = "ß\n" } })
  eq({ "你ß", "你好 😀 x" }, api.nvim_buf_get_lines(b.buf, 2, 4, false), "split")
  eq({ 4, #"你好 😀 " }, cursor(), "cursor on x on the new line")
  -- And joining it back.
  remote(b, { { from = line3 + #"你ß", to = line3 + #"你ß\n", text = "" } })
  eq({ 3, #"你ß你好 😀 " }, cursor(), "cursor on x after the join")
end)

test("a remote edit on an old counter is dropped without an answer", function()
  local b = open("abc\n")
  local base = api.nvim_buf_get_changedtick(b.buf)
  keys("Ax<Esc>")
  sent = {}
  buffer.remote_edit({ type = "remote_edit", path = b.path, base = base, changes = { { from = 0, to = 0, text = "Z" } } })
  eq({ "abcx" }, api.nvim_buf_get_lines(b.buf, 0, -1, false), "not applied")
  eq({}, sent, "no answer")
end)

test("remote edits reach buffers that are not current, and keep their windows' cursors", function()
  local b = open("one\ntwo\n")
  vim.cmd("vsplit")
  api.nvim_win_set_cursor(0, { 2, 1 }) -- "w" of two, in the split
  local split = api.nvim_get_current_win()
  vim.cmd("wincmd p")
  vim.cmd("enew") -- the first window now shows another buffer
  remote(b, { { from = 4, to = 4, text = "2" } })
  eq({ "one", "2two" }, api.nvim_buf_get_lines(b.buf, 0, -1, false), "applied while not current")
  eq({ 2, 2 }, api.nvim_win_get_cursor(split), "the split's cursor stays on w")
  eq("applied", sent[1].type, "answered")
end)

test("remote edits while in insert mode keep the insertion point", function()
  local b = open("ab\n")
  _G.tandem_test_remote = function()
    remote(b, { { from = 0, to = 0, text = "你好" } })
  end
  -- Type "X" after "a", apply the remote edit mid-insert, type "Y": Y follows X.
  keys("0a" .. "X<Cmd>lua tandem_test_remote()<CR>Y<Esc>")
  eq({ "你好aXYb" }, api.nvim_buf_get_lines(b.buf, 0, -1, false), "insertion point kept")
  eq("你好aXYb\n", b.flushed, "the bridge's view")
  _G.tandem_test_remote = nil
end)

test("remote edits at the end of the text keep the eol model", function()
  local b = open("a\n")
  remote(b, { { from = 2, to = 2, text = "b" } })
  eq({ "a", "b" }, api.nvim_buf_get_lines(b.buf, 0, -1, false), "appended after the final newline")
  eq(false, b.eol, "now noeol")
  eq("a\nb", buffer.room_text(b), "room text")
  remote(b, { { from = 3, to = 3, text = "\n" } })
  eq("a\nb\n", buffer.room_text(b), "a final newline again")
  remote(b, { { from = 0, to = 4, text = "" } })
  eq("", buffer.room_text(b), "emptied")
  eq({ "" }, api.nvim_buf_get_lines(b.buf, 0, -1, false), "one empty line")
end)

test("resync replaces the text by a line diff and keeps the cursor's line", function()
  local b = open("a\nb\nc\nd\n")
  api.nvim_win_set_cursor(0, { 4, 0 }) -- on d
  sent = {}
  buffer.resync({ type = "resync", path = b.path, base = 77, text = "new\na\nb\nc\nd" })
  eq({ "new", "a", "b", "c", "d" }, api.nvim_buf_get_lines(b.buf, 0, -1, false), "text")
  eq(false, b.eol, "noeol now")
  eq({ 5, 0 }, cursor(), "still on d")
  eq({ { type = "applied", path = b.path, base = 77, tick = api.nvim_buf_get_changedtick(b.buf) } }, sent, "applied")
end)

test("local edits wait for the end of the command and go before anything else", function()
  local b = open("x\n")
  sent = {}
  api.nvim_buf_set_text(b.buf, 0, 0, 0, 0, { "a" })
  api.nvim_buf_set_text(b.buf, 0, 1, 0, 1, { "b" })
  eq(0, #sent, "nothing sent inside the command")
  vim.wait(100, function()
    return #sent > 0
  end)
  eq(1, #sent, "one edit")
  eq({ { from = 0, to = 0, text = "a" }, { from = 1, to = 1, text = "b" } }, sent[1].changes, "both changes, in order")
  eq(api.nvim_buf_get_changedtick(b.buf), sent[1].tick, "the counter after both")
end)

return tests
