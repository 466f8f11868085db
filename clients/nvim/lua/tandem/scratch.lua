-- tandem/scratch.lua: the plugin's read-only scratch buffers (chat, run output): created on
-- demand, shown in a split without taking the cursor away from the code, kept scrolled to the end.
local api = vim.api
local M = {}

-- The buffer named `name`, created (unlisted, nofile, not modifiable by hand) if needed.
function M.get(name, filetype)
  for _, buf in ipairs(api.nvim_list_bufs()) do
    if api.nvim_buf_get_name(buf) == name and api.nvim_buf_is_loaded(buf) then
      return buf
    end
  end
  local buf = api.nvim_create_buf(false, true)
  api.nvim_buf_set_name(buf, name)
  api.nvim_buf_set_option(buf, "buftype", "nofile")
  api.nvim_buf_set_option(buf, "bufhidden", "hide")
  api.nvim_buf_set_option(buf, "swapfile", false)
  api.nvim_buf_set_option(buf, "modifiable", false)
  if filetype then
    api.nvim_buf_set_option(buf, "filetype", filetype)
  end
  return buf
end

-- Shows `buf` in a split at the bottom unless a window of this tab already shows it; the cursor
-- stays where it was.
function M.show(buf, height)
  for _, win in ipairs(api.nvim_tabpage_list_wins(0)) do
    if api.nvim_win_get_buf(win) == buf then
      return win
    end
  end
  local prev = api.nvim_get_current_win()
  vim.cmd("botright " .. (height or 12) .. "split")
  local win = api.nvim_get_current_win()
  api.nvim_win_set_buf(win, buf)
  api.nvim_win_set_option(win, "wrap", true)
  api.nvim_win_set_option(win, "number", false)
  if api.nvim_win_is_valid(prev) then
    api.nvim_set_current_win(prev)
  end
  return win
end

-- Replaces the lines of `buf` and keeps every window on it at the last line.
function M.set_lines(buf, lines)
  api.nvim_buf_set_option(buf, "modifiable", true)
  api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  api.nvim_buf_set_option(buf, "modifiable", false)
  for _, win in ipairs(api.nvim_list_wins()) do
    if api.nvim_win_get_buf(win) == buf and win ~= api.nvim_get_current_win() then
      api.nvim_win_set_cursor(win, { #lines, 0 })
    end
  end
end

return M
