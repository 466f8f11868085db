-- tandem/text.lua: pure text logic (no editor state): the room text <-> buffer lines model with
-- its trailing newline, byte offsets <-> (row, col), and the translation of changes between the
-- room's text and Neovim's view of it. Everything here is unit-tested without a bridge.
local M = {}

-- Splits on "\n" exactly (vim.split's options differ across versions; this does not).
function M.split(s)
  local out, start = {}, 1
  while true do
    local i = s:find("\n", start, true)
    if not i then
      out[#out + 1] = s:sub(start)
      return out
    end
    out[#out + 1] = s:sub(start, i - 1)
    start = i + 1
  end
end

-- Neovim counts a newline after every line, the last one included, while a room file may or may
-- not end with one. A room text ending in "\n" becomes an 'eol' buffer whose bytes equal it; any
-- other (including "") a 'noeol' buffer whose bytes are the room text plus that phantom newline.
function M.to_lines(text)
  local eol = text ~= "" and text:sub(-1) == "\n"
  local body = eol and text:sub(1, -2) or text
  return M.split(body), eol
end

-- The room text of a buffer's lines.
function M.from_lines(lines, eol)
  local s = table.concat(lines, "\n")
  if eol then
    s = s .. "\n"
  end
  return s
end

-- `s` with bytes [from, to) (0-based) replaced by `ins`.
function M.apply(s, from, to, ins)
  return s:sub(1, from) .. ins .. s:sub(to + 1)
end

-- A local change as on_bytes reports it, on the buffer's bytes (from, to, inserted text), as a
-- change to the room text of length `len` (the text before the change). In an 'eol' buffer and
-- for any change ending before the phantom newline the offsets are the same. A change reaching
-- the phantom newline of a 'noeol' buffer (`o` on the last line, `dd` of the last line, `ggdG`)
-- rewrites the room's tail instead: the buffer still ends with its own newline afterwards, so
-- the new room text is the new buffer minus its last byte. Returns nil when the change does not
-- fit (the caller then falls back to a diff).
function M.local_change(from, to, ins, len, eol)
  if from < 0 or to < from then
    return nil
  end
  if eol then
    if to > len then
      return nil
    end
    return from, to, ins
  end
  if to <= len then
    return from, to, ins
  end
  if to ~= len + 1 then
    return nil
  end
  local new_len = len + 1 - (to - from) + #ins
  local f = math.min(from, len, new_len - 1)
  -- Bytes f..from of the new buffer are the old ones: at most the newline just before `from`.
  local tail = (f < from and "\n" or "") .. ins
  if tail:sub(-1) ~= "\n" then
    return nil
  end
  return f, len, tail:sub(1, -2)
end

-- A change to the room text (length `len`, buffer flag `eol`) as a change to the buffer's bytes
-- whose offsets all address existing (row, col) positions (Neovim cannot address the position
-- after an 'eol' buffer's final newline), and the buffer's 'eol' flag afterwards. The buffer's
-- own final newline stands in for the room's when the result still ends with one; otherwise
-- the buffer becomes 'noeol'.
function M.remote_change(f, t, s, len, eol)
  if f < 0 or t < f or t > len then
    return nil
  end
  if not eol or t < len then
    return f, t, s, eol
  end
  if f == len then
    -- Appending after the final newline = replacing that newline with itself plus the text.
    f, s = len - 1, "\n" .. s
  end
  if s:sub(-1) == "\n" then
    return f, len - 1, s:sub(1, -2), true
  end
  return f, len - 1, s, false
end

-- The byte offset of (row, col) (0-based) in `lines`.
function M.pos_to_offset(lines, row, col)
  local off = 0
  for i = 1, math.min(row, #lines) do
    off = off + #lines[i] + 1
  end
  return off + col
end

-- The (row, col) (0-based) of byte offset `off` in `lines`, clamped to the last line's end.
function M.offset_to_pos(lines, off)
  for i = 1, #lines do
    local n = #lines[i]
    if off <= n then
      return i - 1, math.max(off, 0)
    end
    off = off - n - 1
  end
  local last = #lines
  return math.max(last - 1, 0), #(lines[last] or "")
end

-- Length in bytes of the UTF-8 character starting at byte `col` (0-based) of `line`.
function M.char_len(line, col)
  local b = line:byte(col + 1)
  if not b then
    return 0
  end
  if b >= 0xF0 then
    return 4
  elseif b >= 0xE0 then
    return 3
  elseif b >= 0xC0 then
    return 2
  end
  return 1
end

-- One change turning `old` into `new`: the differing middle between common prefix and suffix
-- (kept on UTF-8 character boundaries). Used when on_bytes reports something that does not add
-- up, so the room still gets exactly the buffer's text.
function M.diff(old, new)
  local n, m = #old, #new
  local p = 0
  while p < n and p < m and old:byte(p + 1) == new:byte(p + 1) do
    p = p + 1
  end
  -- Back to a character boundary (continuation bytes are 10xxxxxx).
  while p > 0 and (old:byte(p + 1) or 0) >= 0x80 and (old:byte(p + 1) or 0) < 0xC0 do
    p = p - 1
  end
  local s = 0
  while s < n - p and s < m - p and old:byte(n - s) == new:byte(m - s) do
    s = s + 1
  end
  while s > 0 and (old:byte(n - s + 1) or 0) >= 0x80 and (old:byte(n - s + 1) or 0) < 0xC0 do
    s = s - 1
  end
  return p, n - s, new:sub(p + 1, m - s)
end

-- Where row `row` (1-based) of the old text lands after a line diff (vim.diff "indices" hunks
-- {start_a, count_a, start_b, count_b}): shifted past earlier hunks, or clamped into the hunk
-- that replaced it.
function M.map_row(hunks, row)
  local delta = 0
  for _, h in ipairs(hunks) do
    local sa, ca, sb, cb = h[1], h[2], h[3], h[4]
    if ca == 0 then
      -- Pure insertion after line sa.
      if row <= sa then
        break
      end
    else
      if row < sa then
        break
      end
      if row < sa + ca then
        if cb == 0 then
          return math.max(sb, 1)
        end
        return sb + math.min(row - sa, cb - 1)
      end
    end
    delta = delta + cb - ca
  end
  return math.max(row + delta, 1)
end

-- Filetypes by extension, for Neovim versions whose vim.filetype.match cannot just tell.
M.filetypes = {
  py = "python", js = "javascript", mjs = "javascript", cjs = "javascript", ts = "typescript",
  tsx = "typescriptreact", jsx = "javascriptreact", rs = "rust", go = "go", c = "c", h = "c",
  cc = "cpp", cpp = "cpp", hpp = "cpp", java = "java", rb = "ruby", lua = "lua", sh = "sh",
  bash = "sh", md = "markdown", json = "json", toml = "toml", yaml = "yaml", yml = "yaml",
  html = "html", css = "css", sql = "sql", txt = "text", php = "php", kt = "kotlin",
  swift = "swift", hs = "haskell", ml = "ocaml", ex = "elixir", exs = "elixir", zig = "zig",
}

function M.ext_filetype(path)
  local ext = path:match("%.([%w_]+)$")
  return ext and M.filetypes[ext:lower()] or nil
end

return M
