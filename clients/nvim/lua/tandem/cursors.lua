-- tandem/cursors.lua: other people's carets, selections and Claude's leased range, drawn as
-- extmarks (namespace `tandem_cursors`) from the bridge's `cursors` messages.
local text = require("tandem.text")

local api = vim.api
local M = {}

M.ns = api.nvim_create_namespace("tandem_cursors")
-- The last `cursors` message per path, redrawn when a buffer is (re)bound.
M.last = {}

local defined = {}

-- A colour at `share` of its strength over black, for selections that must not hide text.
local function dim(hex, share)
  local r, g, b = hex:match("^#?(%x%x)(%x%x)(%x%x)$")
  if not r then
    return nil
  end
  local function c(x)
    return math.floor(tonumber(x, 16) * share)
  end
  return ("#%02x%02x%02x"):format(c(r), c(g), c(b))
end

-- Highlight groups for one colour: TandemCursor<hex>, TandemLabel<hex>, TandemSelection<hex>
-- (people's colours come from the room, so the groups are made as they appear).
local function groups(color)
  local hex = type(color) == "string" and color:match("^#?(%x%x%x%x%x%x)$")
  if not hex then
    return "TandemCursor", "TandemLabel", "TandemSelection"
  end
  hex = hex:lower()
  local cursor, label, sel = "TandemCursor" .. hex, "TandemLabel" .. hex, "TandemSelection" .. hex
  if not defined[hex] then
    defined[hex] = true
    api.nvim_set_hl(0, cursor, { bg = "#" .. hex, fg = "#000000" })
    api.nvim_set_hl(0, label, { bg = "#" .. hex, fg = "#000000", bold = true })
    api.nvim_set_hl(0, sel, { bg = dim(hex, 0.35) })
  end
  return cursor, label, sel
end

function M.define_defaults()
  api.nvim_set_hl(0, "TandemCursor", { default = true, link = "Cursor" })
  api.nvim_set_hl(0, "TandemLabel", { default = true, link = "PmenuSel" })
  api.nvim_set_hl(0, "TandemSelection", { default = true, link = "Visual" })
  api.nvim_set_hl(0, "TandemLease", { default = true, link = "DiffChange" })
  api.nvim_set_hl(0, "TandemLeaseLabel", { default = true, link = "WarningMsg" })
  -- Colours from the room are redefined after a colorscheme change cleared them.
  defined = {}
end

local function pos(lines, off)
  return text.offset_to_pos(lines, tonumber(off) or 0)
end

-- Draws `msg` (a `cursors` message) in `buf`, replacing what was there.
function M.draw(buf, msg)
  api.nvim_buf_clear_namespace(buf, M.ns, 0, -1)
  local lines = api.nvim_buf_get_lines(buf, 0, -1, false)
  for _, c in ipairs(msg.cursors or {}) do
    local name = type(c.name) == "string" and c.name or "?"
    local cursor_hl, label_hl, sel_hl = groups(c.color)
    local hr, hc = pos(lines, c.head)
    local ar, ac = pos(lines, c.anchor or c.head)
    if ar ~= hr or ac ~= hc then
      local sr, sc, er, ec = ar, ac, hr, hc
      if hr < ar or (hr == ar and hc < ac) then
        sr, sc, er, ec = hr, hc, ar, ac
      end
      api.nvim_buf_set_extmark(buf, M.ns, sr, sc, { end_row = er, end_col = ec, hl_group = sel_hl, priority = 150 })
    end
    local line = lines[hr + 1] or ""
    local width = text.char_len(line, hc)
    if width > 0 then
      api.nvim_buf_set_extmark(buf, M.ns, hr, hc, { end_col = hc + width, hl_group = cursor_hl, priority = 160 })
    else
      -- At the end of a line there is no character to colour: draw a block there.
      api.nvim_buf_set_extmark(buf, M.ns, hr, hc, { virt_text = { { " ", cursor_hl } }, virt_text_pos = "overlay", priority = 160 })
    end
    api.nvim_buf_set_extmark(buf, M.ns, hr, 0, {
      virt_text = { { " " .. name .. " ", label_hl } },
      virt_text_pos = "eol",
      priority = 160,
    })
  end
  for _, l in ipairs(msg.leases or {}) do
    local name = type(l.name) == "string" and l.name or "Claude"
    local sr, sc = pos(lines, l.from)
    local er, ec = pos(lines, l.to)
    if er > sr or ec > sc then
      api.nvim_buf_set_extmark(buf, M.ns, sr, sc, { end_row = er, end_col = ec, hl_group = "TandemLease", priority = 140 })
    end
    api.nvim_buf_set_extmark(buf, M.ns, sr, 0, {
      virt_text = { { " " .. name .. " is editing ", "TandemLeaseLabel" } },
      virt_text_pos = "eol",
      priority = 140,
    })
  end
end

-- A `cursors` message: drawn if the file is open here, remembered either way.
function M.on_cursors(msg, binding)
  M.last[msg.path] = msg
  if binding and api.nvim_buf_is_loaded(binding.buf) then
    M.draw(binding.buf, msg)
  end
end

function M.redraw(binding)
  local msg = M.last[binding.path]
  if msg then
    M.draw(binding.buf, msg)
  end
end

function M.clear_all()
  M.last = {}
  for _, buf in ipairs(api.nvim_list_bufs()) do
    if api.nvim_buf_is_loaded(buf) then
      api.nvim_buf_clear_namespace(buf, M.ns, 0, -1)
    end
  end
end

return M
