-- tandem/selection.lua: this editor's cursor and visual selection, sent to the room as `cursor`
-- messages in room byte offsets, at most once per throttle interval.
local buffer = require("tandem.buffer")
local text = require("tandem.text")

local api = vim.api
local M = { pending = false, last = nil }

local function line(buf, row)
  return api.nvim_buf_get_lines(buf, row, row + 1, false)[1] or ""
end

-- The anchor and head of the current window's cursor or selection, in room offsets. A visual
-- selection includes the character under the cursor, so the far end moves past it.
function M.offsets(b)
  local mode = api.nvim_get_mode().mode
  local cur = api.nvim_win_get_cursor(0)
  local hr, hc = cur[1] - 1, cur[2]
  local head = buffer.offset(b, hr, hc)
  local anchor = head
  if mode == "v" or mode == "V" or mode == "\22" then
    local v = vim.fn.getpos("v")
    local ar, ac = v[2] - 1, v[3] - 1
    if mode == "V" then
      if ar <= hr then
        anchor, head = buffer.offset(b, ar, 0), buffer.offset(b, hr + 1, 0)
      else
        anchor, head = buffer.offset(b, ar + 1, 0), buffer.offset(b, hr, 0)
      end
    else
      anchor = buffer.offset(b, ar, ac)
      if anchor <= head then
        head = head + text.char_len(line(b.buf, hr), hc)
      else
        anchor = anchor + text.char_len(line(b.buf, ar), ac)
      end
    end
  end
  return anchor, head
end

function M.send_now(send)
  M.pending = false
  local b = buffer.by_buf[api.nvim_get_current_buf()]
  if not b then
    return
  end
  local anchor, head = M.offsets(b)
  local key = ("%s:%d:%d"):format(b.path, anchor, head)
  if key == M.last then
    return
  end
  M.last = key
  send({ type = "cursor", path = b.path, anchor = anchor, head = head })
end

-- CursorMoved: one message per interval, with where the cursor is at its end.
function M.moved(send, interval)
  if M.pending or not buffer.by_buf[api.nvim_get_current_buf()] then
    return
  end
  M.pending = true
  vim.defer_fn(function()
    M.send_now(send)
  end, interval)
end

return M
