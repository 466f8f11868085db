-- tests/unit/text_spec.lua: the pure newline model and offset logic of tandem.text, including
-- exhaustive checks of the change translations against the model they implement.
local text = require("tandem.text")
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/helpers.lua")
local eq = H.eq

-- The buffer bytes Neovim reports offsets in: every line followed by a newline.
local function bytes_of(room)
  local lines = text.to_lines(room)
  return table.concat(lines, "\n") .. "\n"
end

local tests = {}
local function test(name, fn)
  table.insert(tests, { name, fn })
end

test("room text <-> lines, with and without the final newline", function()
  local cases = {
    { "", { "" }, false },
    { "\n", { "" }, true },
    { "a", { "a" }, false },
    { "a\n", { "a" }, true },
    { "a\nb", { "a", "b" }, false },
    { "a\n\n", { "a", "" }, true },
    { "\n\n", { "", "" }, true },
    { "é\n你好\n😀", { "é", "你好", "😀" }, false },
  }
  for _, c in ipairs(cases) do
    local lines, eol = text.to_lines(c[1])
    eq(c[2], lines, "lines of " .. vim.inspect(c[1]))
    eq(c[3], eol, "eol of " .. vim.inspect(c[1]))
    eq(c[1], text.from_lines(lines, eol), "round trip of " .. vim.inspect(c[1]))
  end
end)

test("offsets <-> positions count bytes, multibyte included", function()
  local lines = { "aé", "你好😀", "" }
  -- a=1 byte, é=2, newline; 你=3 好=3 😀=4, newline; empty line.
  local cases = {
    { 0, 0, 0 }, { 1, 0, 1 }, { 3, 0, 3 }, { 4, 1, 0 }, { 7, 1, 3 }, { 10, 1, 6 }, { 14, 1, 10 }, { 15, 2, 0 },
  }
  for _, c in ipairs(cases) do
    local r, col = text.offset_to_pos(lines, c[1])
    eq({ c[2], c[3] }, { r, col }, "position of " .. c[1])
    eq(c[1], text.pos_to_offset(lines, c[2], c[3]), "offset of " .. c[2] .. "," .. c[3])
  end
  -- Past the end clamps to the end of the last line.
  eq({ 2, 0 }, { text.offset_to_pos(lines, 99) }, "clamped")
  eq(2, text.char_len("aé", 1), "é is 2 bytes")
  eq(3, text.char_len("你", 0), "你 is 3 bytes")
  eq(4, text.char_len("😀", 0), "😀 is 4 bytes")
  eq(0, text.char_len("a", 1), "end of line")
end)

-- Every change Neovim can report on the bytes of a buffer holding `room`: the result must still
-- end with a newline (Neovim's buffers always do).
local function each_buffer_change(room, inserts, fn)
  local m = bytes_of(room)
  for from = 0, #m do
    for to = from, #m do
      for _, ins in ipairs(inserts) do
        local m2 = text.apply(m, from, to, ins)
        if m2 ~= "" and m2:sub(-1) == "\n" then
          fn(m, from, to, ins, m2)
        end
      end
    end
  end
end

test("local changes map onto the room text for every change of small buffers", function()
  local rooms = { "", "\n", "a", "a\n", "ab", "a\nb", "a\nb\n", "\n\n", "a\n\n", "é\n" }
  local inserts = { "", "x", "\n", "x\n", "\nx", "\n\n", "é\n" }
  local n = 0
  for _, room in ipairs(rooms) do
    local _, eol = text.to_lines(room)
    each_buffer_change(room, inserts, function(m, from, to, ins, m2)
      local f, t, s = text.local_change(from, to, ins, #room, eol)
      local what = ("room %q, change %d..%d %q"):format(room, from, to, ins)
      H.truthy(f, what .. ": no translation")
      local want = eol and m2 or m2:sub(1, -2)
      eq(want, text.apply(room, f, t, s), what)
      H.truthy(f >= 0 and f <= t and t <= #room, what .. ": offsets out of the room text")
      n = n + 1
    end)
  end
  H.truthy(n > 400, "checked " .. n .. " changes")
end)

test("the phantom newline: o, dd and ggdG on a noeol buffer", function()
  -- `o` on the last line of "a": Neovim inserts "\n" at byte 2, past the room's end.
  eq({ 1, 1, "\n" }, { text.local_change(2, 2, "\n", 1, false) }, "o")
  -- `dd` on the last line of "a\nb": bytes 2..4 ("b\n") go.
  eq({ 1, 3, "" }, { text.local_change(2, 4, "", 3, false) }, "dd")
  -- ggdG on "a\nb": everything is replaced by the one empty line's newline.
  eq({ 0, 3, "" }, { text.local_change(0, 4, "\n", 3, false) }, "ggdG")
  -- A change ending before the phantom newline is unchanged.
  eq({ 1, 1, "x" }, { text.local_change(1, 1, "x", 1, false) }, "append on the line")
  -- Nonsense gets nil (the caller diffs instead).
  eq(nil, text.local_change(5, 9, "", 1, false), "out of range")
end)

test("remote changes map onto addressable buffer bytes for every change of small texts", function()
  local rooms = { "", "\n", "a", "a\n", "ab\n", "a\nb", "a\nb\n", "\n\n", "é\n" }
  local inserts = { "", "x", "\n", "x\n", "\nx", "é" }
  local n = 0
  for _, room in ipairs(rooms) do
    local _, eol = text.to_lines(room)
    local m = table.concat((text.to_lines(room)), "\n") .. "\n"
    for f = 0, #room do
      for t = f, #room do
        for _, s in ipairs(inserts) do
          local want = text.apply(room, f, t, s)
          local bf, bt, bs, eol2 = text.remote_change(f, t, s, #room, eol)
          local what = ("room %q, change %d..%d %q"):format(room, f, t, s)
          H.truthy(bf, what .. ": no mapping")
          H.truthy(bt < #m, what .. ": end not addressable")
          local m2 = text.apply(m, bf, bt, bs)
          eq(want, eol2 and m2 or m2:sub(1, -2), what)
          n = n + 1
        end
      end
    end
  end
  H.truthy(n > 300, "checked " .. n)
  eq(nil, text.remote_change(0, 5, "", 2, true), "past the end")
end)

test("diff keeps UTF-8 characters whole", function()
  eq({ 1, 1, "x" }, { text.diff("ab", "axb") }, "insert")
  eq({ 0, 2, "" }, { text.diff("é", "") }, "delete")
  -- é (c3 a9) -> è (c3 a8): the common first byte must not be split off.
  eq({ 0, 2, "è" }, { text.diff("é", "è") }, "same lead byte")
  eq({ 3, 3, "😀" }, { text.diff("你", "你😀") }, "append emoji")
  local s, t = "aé你😀b", "aé你😁b"
  local f, to, ins = text.diff(s, t)
  eq(t, text.apply(s, f, to, ins), "applies")
  eq("😁", ins, "whole emoji")
end)

test("rows map through a line diff", function()
  local hunks = vim.diff("a\nb\nc\nd\n", "a\nX\nY\nc\nd\ne\n", { result_type = "indices" })
  eq(1, text.map_row(hunks, 1), "before the hunk")
  eq(2, text.map_row(hunks, 2), "in the replaced line")
  eq(4, text.map_row(hunks, 3), "after the hunk")
  eq(5, text.map_row(hunks, 4), "further")
  local del = vim.diff("a\nb\nc\n", "a\nc\n", { result_type = "indices" })
  eq(2, text.map_row(del, 3), "after a deletion")
end)

test("filetype by extension", function()
  eq("python", text.ext_filetype("src/app.py"), "py")
  eq("typescriptreact", text.ext_filetype("App.TSX"), "case")
  eq(nil, text.ext_filetype("Makefile"), "none")
end)

return tests
